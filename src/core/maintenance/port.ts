/**
 * Maintenance windows as other services see them: a target under maintenance has its alerts
 * silenced, its escalations paused and its job notifications held back.
 */
export interface MaintenanceWindow {
  id: string;
  target: string;
  from: Date;
  until: Date;
  by: string;
  reason?: string;
}

export interface MaintenanceWindows {
  /** The window covering `target` at `at`, if any. */
  activeFor(target: string, at: Date): Promise<MaintenanceWindow | undefined>;
}
