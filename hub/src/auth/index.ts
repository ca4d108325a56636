export { AuthService, type AuthOptions, type InitialCredential } from './auth.service.js';
export { registerAuthRoutes } from './auth.routes.js';
export { hashSecret, verifySecret, generateSecret } from './passwords.js';
export * from './roles.js';
export { UserAdminService, type AdminUser, type UserFilter } from './users.service.js';
