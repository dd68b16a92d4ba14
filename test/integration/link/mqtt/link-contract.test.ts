import { join } from 'node:path';
import { silentLogger } from '../../../../agent/core/logger.js';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import type { CommandResponse } from '../../../../agent/link/contract/v1.js';
import { waitFor } from '../../../helpers/cli.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station, testConfig } from '../../../helpers/station.js';
import { describeStationLink } from '../../../helpers/station-link-contract.js';
import { tempDir } from '../../../helpers/tmp.js';

describeStationLink('MQTT link on a real mosquitto', async () => {
  const dir = await tempDir();
  const broker = await TestBroker.start({ dir: join(dir, 'broker') });
  const station = await Station.connect(broker.url, ['minwang/test-host/#']);
  const link = new MqttStationLink({
    config: testConfig({ url: broker.url, dataDir: join(dir, 'data') }),
    ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector },
    logger: silentLogger(),
    version: '0.0.0-test',
  });
  await link.start();
  await waitFor(() => link.state().connected, 10_000, 'the link to connect');
  const events = () => station.on('minwang/test-host/events').map((m) => m.json());
  return {
    link,
    events: async (count: number) => {
      await waitFor(() => events().length >= count, 10_000, `${count} events`);
      return events();
    },
    request: async (op: string, request: Record<string, unknown>) => {
      const answers = () => station.on(`minwang/test-host/cmd/${op}/response`).map((m) => m.json()).filter((a) => a['id'] === request['id']);
      await station.client.publishAsync(`minwang/test-host/cmd/${op}`, JSON.stringify(request), { qos: 1 });
      await waitFor(() => answers().length > 0, 10_000, `the answer to cmd/${op}`);
      return answers()[0] as CommandResponse;
    },
    close: async () => {
      await link.stop();
      await station.close();
      await broker.stop();
    },
  };
});
