import { createHash } from 'node:crypto';

/** One simulated ONVIF camera (Profile S: device and media services, WS-Discovery). */
export interface SimCamera {
  /** Shown in the `onvif://www.onvif.org/name/...` scope. */
  name: string;
  hardware: string;
  /** IPv4 address the camera's sockets bind to; its answers come from it. */
  address: string;
  /** HTTP port of the ONVIF services. */
  port: number;
  username: string;
  password: string;
  profiles: SimProfile[];
  /** `silent`: accepts HTTP connections but never answers (a hung camera). Default `normal`. */
  behaviour?: 'normal' | 'silent';
}

export interface SimProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  encoding: 'H264' | 'H265' | 'JPEG';
  /** Default true: the profile has a JPEG snapshot URI. */
  snapshot?: boolean;
}

/** The endpoint UUID a simulated camera announces; stable for its address. */
export function endpointOf(camera: SimCamera): string {
  const hex = createHash('sha1').update(`${camera.address}:${camera.port}`).digest('hex').slice(0, 12);
  return `urn:uuid:5a1f0c3e-0000-4000-8000-${hex}`;
}

export function rtspUri(camera: SimCamera, profile: SimProfile): string {
  return `rtsp://${camera.address}:554/Streaming/${profile.token}`;
}

export function snapshotUri(camera: SimCamera, profile: SimProfile): string {
  return `http://${camera.address}:${camera.port}/snapshot/${profile.token}.jpg`;
}
