import { refuse, type BundleManifest } from './bundle.js';

export interface PolicyFacts {
  now: Date;
  agentVersion: string;
  /** Highest bundle version this host ever installed (persisted), 0 when none. */
  highestInstalled: number;
}

/** Decides whether a verified bundle may be installed here; throws `model.refused` with the reason. */
export function checkInstallPolicy(manifest: BundleManifest, facts: PolicyFacts): void {
  if (Date.parse(manifest.expires) <= facts.now.getTime()) refuse('expired', `bundle ${manifest.bundleVersion} expired at ${manifest.expires}`);
  if (compareVersions(facts.agentVersion, manifest.minAgentVersion) < 0) {
    refuse('agent_too_old', `bundle ${manifest.bundleVersion} needs agent ${manifest.minAgentVersion} or newer; this is ${facts.agentVersion}`);
  }
  if (manifest.bundleVersion <= facts.highestInstalled && !manifest.rollback) {
    refuse('older_version', `bundle version ${manifest.bundleVersion} is not above the installed version ${facts.highestInstalled} (only a bundle signed as a rollback may go back)`);
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
