/**
 * SOAP 1.2 envelopes and faults as ONVIF devices send them (ONVIF Core
 * §5.11: fault codes env:Sender / env:Receiver with ter: subcodes).
 */
import { envelopePrefixes, ns } from './onvif-namespaces.js';
import { el, leaf, type XmlChild } from './xml-writer.js';

const rootNamespaces: Record<string, string> = Object.fromEntries(envelopePrefixes.map((p) => [`xmlns:${p}`, ns[p]]));

export function soapEnvelope(body: XmlChild, header?: XmlChild): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    el('s:Envelope', rootNamespaces, header === undefined ? null : leaf('s:Header', header), leaf('s:Body', body)).markup
  );
}

export type SoapFaultCode = 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';

/** A SOAP fault a handler throws; the server turns it into the fault envelope. */
export class SoapFault extends Error {
  override readonly name = 'SoapFault';
  constructor(
    readonly code: SoapFaultCode,
    /** Qualified subcodes, outermost first, e.g. ['ter:InvalidArgVal', 'ter:NoProfile']. */
    readonly subcodes: readonly string[],
    readonly reason: string,
    /** SOAP 1.2 HTTP binding: sender faults are 400, receiver faults 500. */
    readonly httpStatus: number = code === 'Receiver' ? 500 : 400,
  ) {
    super(reason);
  }
}

export function soapFaultBody(fault: SoapFault): XmlChild {
  // Subcodes nest: <Subcode><Value>a</Value><Subcode><Value>b</Value></Subcode></Subcode>
  let sub: XmlChild = null;
  for (const value of [...fault.subcodes].reverse()) sub = leaf('s:Subcode', leaf('s:Value', value), sub);
  return leaf(
    's:Fault',
    leaf('s:Code', leaf('s:Value', `s:${fault.code}`), sub),
    leaf('s:Reason', el('s:Text', { 'xml:lang': 'en' }, fault.reason)),
  );
}

export function soapFaultEnvelope(fault: SoapFault): string {
  return soapEnvelope(soapFaultBody(fault));
}

/** The faults ONVIF Core §5.11.2 names, as the simulators raise them. */
export const onvifFaults = {
  notAuthorized: (reason = 'Sender not Authorized') => new SoapFault('Sender', ['ter:NotAuthorized'], reason),
  wellFormed: (reason: string) => new SoapFault('Sender', ['ter:WellFormed'], `XML not well formed: ${reason}`),
  invalidArgs: (reason: string) => new SoapFault('Sender', ['ter:InvalidArgs'], reason),
  invalidArgVal: (subcode: string, reason: string) => new SoapFault('Sender', ['ter:InvalidArgVal', subcode], reason),
  actionNotSupported: (action: string) =>
    new SoapFault('Receiver', ['ter:ActionNotSupported'], `Optional Action Not Implemented: ${action}`),
  actionFailed: (subcode: string, reason: string) => new SoapFault('Receiver', ['ter:Action', subcode], reason),
  versionMismatch: () => new SoapFault('VersionMismatch', [], 'Only SOAP 1.2 envelopes are accepted'),
  resourceUnknown: (reason: string) => new SoapFault('Sender', ['wsrfrw:ResourceUnknownFault'], reason),
};
