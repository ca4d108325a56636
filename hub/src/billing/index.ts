export { BillingModule, billingStaffRoles, registerBillingRoutes, type BillingOptions } from './billing.module.js';
export * from './money.js';
export * from './period.js';
