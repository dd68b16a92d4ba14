import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent } from '../../app/agent.js';
import type { Logger } from '../../core/logger.js';
import { realHostPorts } from '../../ports/index.js';
import { systemClock } from '../../ports/clock.js';
import { realMqttConnector } from '../../ports/mqtt.js';
import { decodeVideoFrames } from '../sim/footage-frames.js';
import { HttpCameraSim } from '../sim/http-camera-sim.js';
import { RtspRelay, publishVideo } from '../sim/rtsp-relay.js';
import type { ChildProcess } from 'node:child_process';
import { ConsoleApp } from '../../station/console-app.js';
import type { TerminalMode, TerminalOutput } from '../../station/terminal/terminal-console.js';
import { DEMO_CAMERA_LOGIN, STREET, YARD, demoConfig } from './demo-config.js';
import { EmbeddedBroker } from './embedded-broker.js';

export interface DemoOptions {
  clip: string;
  /** Where the console saves thumbnails (kept after the demo). */
  saveDir: string;
  terminal: { mode: TerminalMode; out: TerminalOutput };
  /** The yard camera's picture goes black this long after the start. */
  blackAfterMs: number;
  /** The web console's port on 127.0.0.1 (0 picks a free one). */
  webPort: number;
  logger: Logger;
}

/** Frames taken from the clip: 100 s of pedestrians, replayed in a loop. */
const CLIP_FPS = 4;
const CLIP_FRAMES = 400;

/**
 * The whole loop on one machine: an embedded broker, two Digest cameras replaying real footage
 * (the yard one goes black after a while) and an RTSP camera (the same footage through a relay),
 * the agent with the default model, and the station console showing what arrives, on the
 * terminal and on a web page (events, their whole picture, their clips). Start order is the data flow; stop order is its reverse.
 */
export class Demo {
  readonly broker = new EmbeddedBroker();
  readonly cameras = new HttpCameraSim({ ...DEMO_CAMERA_LOGIN, realm: 'demo camera' });
  readonly rtsp = new RtspRelay();
  private publisher: ChildProcess | undefined;
  private agent: Agent | undefined;
  private console: ConsoleApp | undefined;
  private dataDir: string | undefined;
  private blackTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DemoOptions) {}

  async start(): Promise<void> {
    const { options } = this;
    // One ffmpeg run decodes the clip into memory; no ffmpeg keeps running after it.
    const frames = await decodeVideoFrames(options.clip, { fps: CLIP_FPS, maxFrames: CLIP_FRAMES });
    this.cameras.add({ name: STREET, frames, fps: CLIP_FPS });
    this.cameras.add({ name: YARD, frames: frames.slice().reverse(), fps: CLIP_FPS });
    const cameraPort = await this.cameras.start();
    const rtspPort = await this.rtsp.start();
    this.publisher = publishVideo(options.clip, rtspPort);
    await this.broker.start();
    this.dataDir = await mkdtemp(join(tmpdir(), 'minwang-demo-'));
    const config = demoConfig({
      brokerUrl: this.broker.url, dataDir: join(this.dataDir, 'agent'), cameraUrl: (name) => this.cameras.url(cameraPort, name), rtspUrl: `rtsp://127.0.0.1:${rtspPort}/live`,
    });

    this.console = new ConsoleApp({
      broker: { url: this.broker.url, protocolVersion: 4 },
      staleAfterMs: 60_000,
      terminal: options.terminal,
      saveDir: options.saveDir,
      // The web console too: events with their whole picture, and their clips played on request.
      web: { listen: { host: '127.0.0.1', port: options.webPort }, users: null, tls: null, lang: null, db: join(this.dataDir, 'console', 'console.db') },
    }, { clock: systemClock, mqtt: realMqttConnector, logger: options.logger.child({ module: 'demo-console' }) });
    await this.console.startOutputs();
    await this.console.connect();

    this.agent = createAgent({ config, ports: realHostPorts(), logger: options.logger });
    await this.agent.start();
    this.blackTimer = setTimeout(() => this.cameras.setFault(YARD, 'black'), options.blackAfterMs);
  }

  /** The web console's address, once started. */
  webUrl(): string | undefined {
    return this.console?.web?.url();
  }

  /** Stops everything that started, newest first; never throws. Returns what failed to stop. */
  async stop(): Promise<string[]> {
    clearTimeout(this.blackTimer);
    const failed = (await this.agent?.stop()) ?? [];
    await this.console?.stop().catch(() => failed.push('console'));
    await this.broker.stop().catch(() => failed.push('broker'));
    this.publisher?.kill('SIGTERM');
    await this.rtsp.stop().catch(() => failed.push('rtsp relay'));
    await this.cameras.stop().catch(() => failed.push('cameras'));
    if (this.dataDir !== undefined) await rm(this.dataDir, { recursive: true, force: true });
    return failed;
  }
}
