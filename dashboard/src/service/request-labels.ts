import { type Translate } from '../i18n/i18n-context.tsx';
import { type ProgressStep } from './request-flow.ts';
import { type RequestCategory, type RequestChannel, type RequestStatus, type RequestUrgency } from './service-api.ts';

/** Words for the customer-service vocabulary, shared by the service desk and the resident view. */

export const requestStatusLabel = (t: Translate, status: RequestStatus) => t(`service.status.${status}`);
export const categoryLabel = (t: Translate, category: RequestCategory) => t(`service.category.${category}`);
export const urgencyLabel = (t: Translate, urgency: RequestUrgency) => t(`service.urgency.${urgency}`);
export const channelLabel = (t: Translate, channel: RequestChannel) => t(`service.channel.${channel}`);
export const progressLabel = (t: Translate, step: ProgressStep) => t(`service.progress.${step}`);

const eventActions = ['create', 'classify', 'dispatch', 'status', 'reject', 'note', 'exception', 'survey'] as const;
type EventAction = (typeof eventActions)[number];

/** A timeline entry's action; one the hub adds later reads as itself rather than breaking the page. */
export function eventActionLabel(t: Translate, action: string): string {
  return (eventActions as readonly string[]).includes(action) ? t(`service.event.${action as EventAction}`) : action;
}
