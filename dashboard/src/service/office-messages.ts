import { assetsEn } from '../assets/messages.en.ts';
import { assetsZhCN } from '../assets/messages.zh-CN.ts';
import { maintenanceEn } from '../maintenance/messages.en.ts';
import { maintenanceZhCN } from '../maintenance/messages.zh-CN.ts';
import { residentEn } from '../resident/messages.en.ts';
import { residentZhCN } from '../resident/messages.zh-CN.ts';
import { serviceEn } from './messages.en.ts';
import { serviceZhCN } from './messages.zh-CN.ts';

/**
 * The property office's pages (customer service, equipment and parts, preventive
 * maintenance, the owner's portal), merged once so the app dictionaries take them in one
 * line each. Each page keeps its words beside its code.
 */
export const officeEn = { ...serviceEn, ...assetsEn, ...maintenanceEn, ...residentEn } as const;
export const officeZhCN: Record<keyof typeof officeEn, string> = { ...serviceZhCN, ...assetsZhCN, ...maintenanceZhCN, ...residentZhCN };
