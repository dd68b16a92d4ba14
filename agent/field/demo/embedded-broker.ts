import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Module } from '../../core/module.js';

/**
 * An in-process MQTT broker (aedes, MQTT 3.1.1) on 127.0.0.1 and a free port: the demo's
 * stand-in for the station's mosquitto. Nothing is persisted; stopping it closes every client.
 */
export class EmbeddedBroker implements Module {
  readonly name = 'embedded-broker';
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    this.broker = broker;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    await new Promise<void>((resolve) => (this.broker === undefined ? resolve() : this.broker.close(() => resolve())));
  }
}
