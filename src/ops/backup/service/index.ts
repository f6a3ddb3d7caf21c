/** The backup service (run, verify, status, restore) and the reports it returns. */
export { BackupService } from './service.js';
export type { BackupServiceDeps } from './context.js';
export type { JobStatus, RestorePlan, RestoreReport, RunReport, Step, VerifyReport } from './reports.js';
