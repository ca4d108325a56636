/**
 * The camera's media (ver10, Profile S) and PTZ (ver20) services. One media
 * profile: the H.264 main stream with a PTZ configuration, the shape
 * node-onvif and the `onvif` package both read without special cases.
 */
import { ns } from './onvif-namespaces.js';
import type { OnvifHttpServer, SoapCall } from './onvif-http-server.js';
import type { PtzHead, PtzVector } from './ptz-head.js';
import { onvifFaults } from './soap-envelope.js';
import { child, textAt, type XmlElement } from './xml-reader.js';
import { el, leaf, xsDateTime, type XmlChild } from './xml-writer.js';
import { parseXsDuration } from './xs-duration.js';

export const cameraTokens = {
  profile: 'Profile_1',
  videoSource: 'VideoSource_1',
  videoSourceConfig: 'VideoSourceConfig_1',
  videoEncoderConfig: 'VideoEncoderConfig_1',
  analyticsConfig: 'VideoAnalyticsConfig_1',
  ptzConfig: 'PTZConfig_1',
  ptzNode: 'PTZNode_1',
  motionRule: 'MotionDetectorRule',
} as const;

const spaces = {
  panTiltPosition: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace',
  zoomPosition: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace',
  panTiltVelocity: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace',
  zoomVelocity: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace',
  panTiltSpeed: 'http://www.onvif.org/ver10/tptz/PanTiltSpaces/GenericSpeedSpace',
  zoomSpeed: 'http://www.onvif.org/ver10/tptz/ZoomSpaces/ZoomGenericSpeedSpace',
};

export interface CameraMediaInfo {
  width: number;
  height: number;
  fps: number;
  gop: number;
  bitrateKbps: number;
  streamUri: () => string;
  snapshotUri: () => string;
}

interface Preset {
  token: string;
  name: string;
  position: PtzVector;
}

const presets: readonly Preset[] = [
  { token: '1', name: 'Home', position: { pan: 0, tilt: 0, zoom: 0 } },
  { token: '2', name: 'Entrance', position: { pan: -0.5, tilt: -0.2, zoom: 0.3 } },
  { token: '3', name: 'Car park', position: { pan: 0.6, tilt: -0.1, zoom: 0.5 } },
];

function range(tag: string, min: number, max: number): XmlChild {
  return leaf(tag, leaf('tt:Min', min), leaf('tt:Max', max));
}

function videoSourceConfiguration(m: CameraMediaInfo): XmlChild {
  return el(
    'tt:VideoSourceConfiguration',
    { token: cameraTokens.videoSourceConfig },
    leaf('tt:Name', 'VideoSourceConfig'),
    leaf('tt:UseCount', 1),
    leaf('tt:SourceToken', cameraTokens.videoSource),
    el('tt:Bounds', { x: 0, y: 0, width: m.width, height: m.height }),
  );
}

function videoEncoderConfiguration(m: CameraMediaInfo): XmlChild {
  return el(
    'tt:VideoEncoderConfiguration',
    { token: cameraTokens.videoEncoderConfig },
    leaf('tt:Name', 'MainStream'),
    leaf('tt:UseCount', 1),
    leaf('tt:Encoding', 'H264'),
    leaf('tt:Resolution', leaf('tt:Width', m.width), leaf('tt:Height', m.height)),
    leaf('tt:Quality', 5),
    leaf('tt:RateControl', leaf('tt:FrameRateLimit', m.fps), leaf('tt:EncodingInterval', 1), leaf('tt:BitrateLimit', m.bitrateKbps)),
    leaf('tt:H264', leaf('tt:GovLength', m.gop), leaf('tt:H264Profile', 'Baseline')),
    leaf(
      'tt:Multicast',
      leaf('tt:Address', leaf('tt:Type', 'IPv4'), leaf('tt:IPv4Address', '0.0.0.0')),
      leaf('tt:Port', 0),
      leaf('tt:TTL', 1),
      leaf('tt:AutoStart', false),
    ),
    leaf('tt:SessionTimeout', 'PT60S'),
  );
}

function ptzConfiguration(): XmlChild {
  return el(
    'tt:PTZConfiguration',
    { token: cameraTokens.ptzConfig },
    leaf('tt:Name', 'PTZConfig'),
    leaf('tt:UseCount', 1),
    leaf('tt:NodeToken', cameraTokens.ptzNode),
    leaf('tt:DefaultAbsolutePantTiltPositionSpace', spaces.panTiltPosition),
    leaf('tt:DefaultAbsoluteZoomPositionSpace', spaces.zoomPosition),
    leaf('tt:DefaultContinuousPanTiltVelocitySpace', spaces.panTiltVelocity),
    leaf('tt:DefaultContinuousZoomVelocitySpace', spaces.zoomVelocity),
    leaf('tt:DefaultPTZSpeed', el('tt:PanTilt', { x: 1, y: 1, space: spaces.panTiltSpeed }), el('tt:Zoom', { x: 1, space: spaces.zoomSpeed })),
    leaf('tt:DefaultPTZTimeout', 'PT5S'),
    leaf('tt:PanTiltLimits', leaf('tt:Range', leaf('tt:URI', spaces.panTiltPosition), range('tt:XRange', -1, 1), range('tt:YRange', -1, 1))),
    leaf('tt:ZoomLimits', leaf('tt:Range', leaf('tt:URI', spaces.zoomPosition), range('tt:XRange', 0, 1))),
  );
}

function profile(m: CameraMediaInfo): XmlChild {
  return el(
    'trt:Profiles',
    { token: cameraTokens.profile, fixed: true },
    leaf('tt:Name', 'MainStream'),
    videoSourceConfiguration(m),
    videoEncoderConfiguration(m),
    ptzConfiguration(),
  );
}

function requireProfile(call: SoapCall): void {
  const token = textAt(call.operation, 'ProfileToken');
  if (token !== cameraTokens.profile) throw onvifFaults.invalidArgVal('ter:NoProfile', `no media profile "${token ?? ''}"`);
}

function mediaUri(uri: string): XmlChild {
  return leaf(
    'trt:MediaUri',
    leaf('tt:Uri', uri),
    leaf('tt:InvalidAfterConnect', false),
    leaf('tt:InvalidAfterReboot', false),
    leaf('tt:Timeout', 'PT0S'),
  );
}

export function registerMediaService(server: OnvifHttpServer, m: CameraMediaInfo): void {
  server
    .operation(ns.trt, 'GetProfiles', () => leaf('trt:GetProfilesResponse', profile(m)))
    .operation(ns.trt, 'GetProfile', (call) => {
      requireProfile(call);
      return leaf('trt:GetProfileResponse', el('trt:Profile', { token: cameraTokens.profile, fixed: true }, leaf('tt:Name', 'MainStream'), videoSourceConfiguration(m), videoEncoderConfiguration(m), ptzConfiguration()));
    })
    .operation(ns.trt, 'GetVideoSources', () =>
      leaf(
        'trt:GetVideoSourcesResponse',
        el('trt:VideoSources', { token: cameraTokens.videoSource }, leaf('tt:Framerate', m.fps), leaf('tt:Resolution', leaf('tt:Width', m.width), leaf('tt:Height', m.height))),
      ),
    )
    .operation(ns.trt, 'GetVideoSourceConfigurations', () =>
      leaf('trt:GetVideoSourceConfigurationsResponse', el('trt:Configurations', { token: cameraTokens.videoSourceConfig }, leaf('tt:Name', 'VideoSourceConfig'), leaf('tt:UseCount', 1), leaf('tt:SourceToken', cameraTokens.videoSource), el('tt:Bounds', { x: 0, y: 0, width: m.width, height: m.height }))),
    )
    .operation(ns.trt, 'GetStreamUri', (call) => {
      requireProfile(call);
      const stream = textAt(call.operation, 'StreamSetup', 'Stream') ?? 'RTP-Unicast';
      const protocol = textAt(call.operation, 'StreamSetup', 'Transport', 'Protocol') ?? 'RTSP';
      if (stream !== 'RTP-Unicast') throw onvifFaults.invalidArgVal('ter:InvalidStreamSetup', `stream type ${stream} is not supported (unicast only)`);
      // UDP and RTSP both mean "RTSP control, RTP transport" in Media 1; the server then insists on TCP-interleaved RTP at SETUP.
      if (protocol !== 'RTSP' && protocol !== 'UDP' && protocol !== 'TCP') {
        throw onvifFaults.invalidArgVal('ter:InvalidStreamSetup', `transport ${protocol} is not supported (RTSP over HTTP is not offered)`);
      }
      return leaf('trt:GetStreamUriResponse', mediaUri(m.streamUri()));
    })
    .operation(ns.trt, 'GetSnapshotUri', (call) => {
      requireProfile(call);
      return leaf('trt:GetSnapshotUriResponse', mediaUri(m.snapshotUri()));
    })
    .operation(ns.trt, 'GetServiceCapabilities', () =>
      leaf(
        'trt:GetServiceCapabilitiesResponse',
        el(
          'trt:Capabilities',
          { SnapshotUri: true, Rotation: false, VideoSourceMode: false, OSD: false },
          el('trt:ProfileCapabilities', { MaximumNumberOfProfiles: 1 }),
          el('trt:StreamingCapabilities', { RTPMulticast: false, RTP_TCP: false, RTP_RTSP_TCP: true, NonAggregateControl: false }),
        ),
      ),
    );
}

function vectorFrom(node: XmlElement | undefined, fallback: PtzVector): PtzVector {
  const num = (v: string | undefined, d: number): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n)) throw onvifFaults.invalidArgVal('ter:InvalidPosition', `not a number: ${v}`);
    return n;
  };
  const panTilt = child(node, 'PanTilt');
  const zoom = child(node, 'Zoom');
  return {
    pan: num(panTilt?.attrs['x'], fallback.pan),
    tilt: num(panTilt?.attrs['y'], fallback.tilt),
    zoom: num(zoom?.attrs['x'], fallback.zoom),
  };
}

function ptzStatus(head: PtzHead, now: number): XmlChild {
  const p = head.position();
  const moving = head.moving();
  return leaf(
    'tptz:PTZStatus',
    leaf('tt:Position', el('tt:PanTilt', { x: p.pan, y: p.tilt, space: spaces.panTiltPosition }), el('tt:Zoom', { x: p.zoom, space: spaces.zoomPosition })),
    leaf('tt:MoveStatus', leaf('tt:PanTilt', moving.panTilt ? 'MOVING' : 'IDLE'), leaf('tt:Zoom', moving.zoom ? 'MOVING' : 'IDLE')),
    leaf('tt:UtcTime', xsDateTime(new Date(now))),
  );
}

export function registerPtzService(server: OnvifHttpServer, head: PtzHead, now: () => number = Date.now): void {
  server
    .operation(ns.tptz, 'GetStatus', (call) => {
      requireProfile(call);
      return leaf('tptz:GetStatusResponse', ptzStatus(head, now()));
    })
    .operation(ns.tptz, 'ContinuousMove', (call) => {
      requireProfile(call);
      const velocity = vectorFrom(child(call.operation, 'Velocity'), { pan: 0, tilt: 0, zoom: 0 });
      const timeoutText = textAt(call.operation, 'Timeout');
      const timeoutMs = timeoutText === undefined ? 5_000 : parseXsDuration(timeoutText);
      if (timeoutMs === undefined || timeoutMs < 0) throw onvifFaults.invalidArgVal('ter:InvalidArgVal', `bad Timeout ${timeoutText}`);
      head.continuousMove(velocity, timeoutMs);
      return leaf('tptz:ContinuousMoveResponse');
    })
    .operation(ns.tptz, 'AbsoluteMove', (call) => {
      requireProfile(call);
      const position = child(call.operation, 'Position');
      if (!position) throw onvifFaults.invalidArgs('AbsoluteMove needs a Position');
      head.absoluteMove(vectorFrom(position, head.position()));
      return leaf('tptz:AbsoluteMoveResponse');
    })
    .operation(ns.tptz, 'Stop', (call) => {
      requireProfile(call);
      const panTilt = textAt(call.operation, 'PanTilt') !== 'false';
      const zoom = textAt(call.operation, 'Zoom') !== 'false';
      head.stop(panTilt, zoom);
      return leaf('tptz:StopResponse');
    })
    .operation(ns.tptz, 'GetPresets', (call) => {
      requireProfile(call);
      return leaf(
        'tptz:GetPresetsResponse',
        presets.map((p) =>
          el(
            'tptz:Preset',
            { token: p.token },
            leaf('tt:Name', p.name),
            leaf('tt:PTZPosition', el('tt:PanTilt', { x: p.position.pan, y: p.position.tilt, space: spaces.panTiltPosition }), el('tt:Zoom', { x: p.position.zoom, space: spaces.zoomPosition })),
          ),
        ),
      );
    })
    .operation(ns.tptz, 'GotoPreset', (call) => {
      requireProfile(call);
      const token = textAt(call.operation, 'PresetToken');
      const preset = presets.find((p) => p.token === token);
      if (!preset) throw onvifFaults.invalidArgVal('ter:NoToken', `no preset "${token ?? ''}"`);
      head.absoluteMove(preset.position);
      return leaf('tptz:GotoPresetResponse');
    })
    .operation(ns.tptz, 'GotoHomePosition', (call) => {
      requireProfile(call);
      head.absoluteMove(presets[0].position);
      return leaf('tptz:GotoHomePositionResponse');
    })
    .operation(ns.tptz, 'GetServiceCapabilities', () =>
      leaf('tptz:GetServiceCapabilitiesResponse', el('tptz:Capabilities', { EFlip: false, Reverse: false, GetCompatibleConfigurations: false, MoveStatus: true, StatusPosition: true })),
    );
}
