/** A device that answered the WS-Discovery probe. */
export interface DiscoveredDevice {
  /** IPv4 address the answer came from. */
  address: string;
  /** The device's WS-Discovery endpoint reference (usually `urn:uuid:...`); stable across reboots. */
  endpoint: string;
  /** The ONVIF device service URL chosen from the device's XAddrs. */
  serviceUrl: string;
  /** `onvif://www.onvif.org/name/...` scope, if the device gave one. */
  name?: string;
  /** `onvif://www.onvif.org/hardware/...` scope, if the device gave one. */
  hardware?: string;
}

/** One ONVIF media profile, with the URIs the device gave for it (credentials removed). */
export interface MediaProfile {
  token: string;
  name?: string;
  encoding?: string;
  width?: number;
  height?: number;
  /** RTSP stream URI. */
  rtsp?: string;
  /** HTTP(S) JPEG snapshot URI. */
  snapshot?: string;
  /** Why a URI is missing or was changed, in plain words. */
  notes: string[];
}

export const FAILURE_KINDS = ['auth', 'timeout', 'unreachable', 'protocol'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Why a found device's profiles could not be read. */
export interface DeviceFailure {
  kind: FailureKind;
  message: string;
  hint: string;
}

/** What discovery learnt about one device: its profiles, or why it could not read them. */
export interface DeviceReport {
  device: DiscoveredDevice;
  profiles: MediaProfile[];
  failure?: DeviceFailure;
}

/** Username and password for the devices' ONVIF service. Never printed or logged. */
export interface OnvifCredentials {
  username: string;
  password: string;
}

/** Where the snippet tells the agent to find the password (never the password itself). */
export type PasswordReference = { passwordEnv: string } | { passwordFile: string };
