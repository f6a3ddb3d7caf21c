/** The port through which maintenance silences a target's alerts (implemented over Alertmanager in src/wiring/maintenance.ts). */
export interface TargetSilencer {
  /** Where the silences go, for `--dry-run` and replies: `Alertmanager at http://am:9093`. */
  readonly where: string;
  /** What the silences match, for `--dry-run`: `target=~"db(:.*)?" or instance=~"db(:.*)?"`. */
  describe(target: string): string;
  /** Silences the target's alerts from `from` until `until`; returns the silence ids. */
  silence(target: string, w: { from: Date; until: Date; by: string; comment: string }): Promise<string[]>;
  /** Ends those silences; one that has already ended is not an error. */
  unsilence(ids: readonly string[]): Promise<void>;
}
