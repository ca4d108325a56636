import { type Translate } from '../i18n/i18n-context.tsx';
import { type CampaignStatus, type SurveyDimension } from './surveys-api.ts';

/** Words for the hub's survey codes, shared by the owner's and the manager's pages. */
export const dimensionLabel = (t: Translate, d: SurveyDimension): string => t(`surveys.dimension.${d}`);
export const statusLabel = (t: Translate, s: CampaignStatus): string => t(`surveys.status.${s}`);
/** Pill classes of app.css: an open survey reads as live, a closed one as done. */
export const statusTone: Record<CampaignStatus, 'ok' | 'medium' | 'unknown'> = { open: 'ok', scheduled: 'medium', closed: 'unknown' };
