import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { brokerChecks } from '../../../../agent/field/doctor/broker-check.js';
import { runChecks } from '../../../../agent/field/doctor/run-checks.js';
import { inWords, type DoctorReport } from '../../../../agent/field/doctor/report.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import { decodeVideoFrames } from '../../../../agent/field/sim/footage-frames.js';
import { HttpCameraSim } from '../../../../agent/field/sim/http-camera-sim.js';
import { makePasswordFile } from '../../../helpers/certs.js';
import { runCli } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { TestBroker, freePort } from '../../../helpers/mosquitto.js';
import { tempDir } from '../../../helpers/tmp.js';

/**
 * `minwang check` as the installer runs it: the built bin against simulated Digest cameras on
 * 127.0.0.1 (one good, one whose password was changed, one that is not there at all) and a real
 * mosquitto with the shipped ACL and a password file.
 */
const SHIPPED_ACL = fileURLToPath(new URL('../../../../config/mosquitto/minwang.acl', import.meta.url));
const sim = new HttpCameraSim({ username: 'admin', password: 'cam-pw' });
let simPort: number;
let deadPort: number;
let broker: TestBroker;
let openBroker: TestBroker;
let dir: string;

beforeAll(async () => {
  const frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 5, maxFrames: 30 });
  sim.add({ name: 'gate', frames, fps: 5 });
  sim.add({ name: 'lane', frames, fps: 5 });
  sim.setFault('lane', 'wrong-password');
  simPort = await sim.start();
  deadPort = await freePort();
  dir = await tempDir();
  const passwd = join(dir, 'passwd');
  await makePasswordFile(passwd, { 'host-a': 'a-pw' });
  broker = await TestBroker.start({ dir: join(dir, 'broker'), listener: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${SHIPPED_ACL}`] });
  openBroker = await TestBroker.start({ dir: join(dir, 'open-broker') });
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  await openBroker?.stop();
  await sim.stop();
});

function configYaml(cameras: string[], url = broker.url): string {
  return [
    'host: { id: host-a }',
    `mqtt: { url: "${url}", username: host-a, password: a-pw, connectTimeout: 5s }`,
    `storage: { dataDir: "${join(dir, 'data')}" }`,
    // The full frame only: the model check stays quick on a loaded test machine.
    'detector: { tiling: { grids: [] } }',
    'cameras:',
    ...cameras,
  ].join('\n');
}

const camera = (id: string, url: string, password = 'cam-pw') =>
  `  - { id: ${id}, snapshot: { url: "${url}", username: admin, password: ${password} }, timeout: 2s }`;

async function check(yaml: string): Promise<{ code: number | null; report: DoctorReport; stderr: string }> {
  await mkdir(join(dir, 'data'), { recursive: true });
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const result = await runCli(['check', '--config', file, '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport, stderr: result.stderr };
}

describe('minwang check', () => {
  it('reports a good camera, a wrong password and a dead camera accurately, and exits 1', async () => {
    const { code, report } = await check(configYaml([
      camera('gate', sim.url(simPort, 'gate')),
      camera('lane', sim.url(simPort, 'lane')),
      camera('dead', `http://127.0.0.1:${deadPort}/snapshot.jpg`),
    ]));
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('camera:gate')).toMatchObject({ status: 'pass', details: { width: 768, height: 576 } });
    expect(byId.get('camera:lane')).toMatchObject({ status: 'fail', details: { reason: 'auth' } });
    expect(byId.get('camera:lane')?.message).toMatch(/login refused/);
    expect(byId.get('camera:dead')).toMatchObject({ status: 'fail', details: { reason: 'unreachable' } });
    expect(byId.get('camera:dead')?.hint).toMatch(/address/);
    expect(byId.get('broker')?.status).toBe('pass');
    expect(byId.get('broker:own-topics')?.status).toBe('pass');
    expect(byId.get('broker:other-topics')).toMatchObject({ status: 'pass' });
    expect(byId.get('broker:other-topics')?.message).toMatch(/refused/);
    expect(report.ok).toBe(false);
    expect(report.counts.fail).toBe(2);
    expect(code).toBe(1);
  }, 150_000);

  it('exits 0 when every check passes, and measures the model', async () => {
    const { code, report } = await check(configYaml([camera('gate', sim.url(simPort, 'gate'))]));
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([]);
    const model = report.checks.find((c) => c.id === 'model');
    expect(model?.details?.['inferenceMs']).toBeGreaterThan(0);
    // The second model for still pictures (detector.secondModel, default yolov5s) is checked on its own line.
    expect(report.checks.find((c) => c.id === 'model-second')).toMatchObject({ title: 'model yolov5s', status: 'pass' });
    expect(report.checks.find((c) => c.id === `disk:${join(dir, 'data')}`)?.status).toBe('pass');
    expect(code).toBe(0);
  }, 150_000);

  it('exits 2 with the config error on a bad config', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'host: { id: "Not Valid" }\n');
    const result = await runCli(['check', '--config', file, '--json']);
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(result.code).toBe(2);
    expect(report.checks[0]).toMatchObject({ id: 'config', status: 'fail' });
    expect(report.checks[0]?.message).toMatch(/host\.id/);
  }, 30_000);
});

describe('minwang check in the installer\'s language', () => {
  it('prints the checklist in Chinese on a zh_CN locale, and --json in English with the same ids', async () => {
    const file = join(dir, 'bad-zh.yaml');
    await writeFile(file, 'host: { id: "Not Valid" }\n');
    const chinese = await runCli(['check', '--config', file], { LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' });
    expect(chinese.code).toBe(2);
    expect(chinese.stdout).toMatch(/^minwang 安装自检：主机 未知（配置文件 .*bad-zh\.yaml）$/m);
    expect(chinese.stdout).toMatch(/^\[失败\] 配置文件\s+配置文件有误：.*host\.id/m);
    expect(chinese.stdout).toContain('→ 改正配置文件后再运行一次检查');
    expect(chinese.stdout).toMatch(/共 1 项检查，1 项未通过。\n$/);

    const json = await runCli(['check', '--config', file, '--json'], { LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' });
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report.checks[0]).toMatchObject({ id: 'config', title: 'config', status: 'fail', hint: 'fix the config file, then run the check again' });

    const asked = await runCli(['check', '--config', file, '--json', '--lang', 'zh-CN'], { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' });
    expect((JSON.parse(asked.stdout) as DoctorReport).checks[0]).toMatchObject({ id: 'config', title: '配置文件', status: 'fail' });

    const english = await runCli(['check', '--config', file, '--lang', 'en'], { LC_ALL: 'zh_CN.UTF-8' });
    expect(english.stdout).toMatch(/^\[FAIL\] config\s+.*host\.id/m);
  }, 30_000);

  it('words a real run in Chinese: a live camera, a wrong password, a dead camera, the broker', async () => {
    const file = join(dir, 'zh-real.yaml');
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(file, configYaml([
      camera('gate', sim.url(simPort, 'gate')),
      camera('lane', sim.url(simPort, 'lane')),
      camera('dead', `http://127.0.0.1:${deadPort}/snapshot.jpg`),
    ]));
    const result = await runCli(['check', '--config', file, '--lang', 'zh-CN']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^\[通过\] 摄像头 gate\s+画面 768×576，正常实时$/m);
    expect(result.stdout).toMatch(/^\[失败\] 摄像头 lane\s+登录被拒绝：/m);
    expect(result.stdout).toContain('→ 用户名或密码不对：用配置文件里的用户名和密码登录摄像头的网页试试');
    expect(result.stdout).toMatch(/^\[失败\] 摄像头 dead\s+连不上：/m);
    expect(result.stdout).toMatch(/^\[通过\] 消息服务器登录\s+已用 MQTT 5 连接到 mqtt:\/\/127\.0\.0\.1:\d+$/m);
    expect(result.stdout).toMatch(/^\[通过\] 消息服务器：拒绝冒充其他主机\s+冒充其他主机的发布被拒绝（/m);
    expect(result.stdout).toMatch(/^\[通过\] 识别模型 \S+\s+.* 校验通过；自检识别出 .*；在 \S+ 上每帧 \d+ 毫秒$/m);
    expect(result.stdout).toMatch(/共 \d+ 项检查，2 项未通过。\n$/);
  }, 150_000);

  it('refuses a language it does not have', async () => {
    const result = await runCli(['check', '--config', join(dir, 'missing.yaml'), '--lang', 'fr']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--lang "fr": expected one of en, zh-CN/);
  }, 30_000);
});

describe('broker checks without an ACL', () => {
  it('fails "other hosts\' topics" with the hint to install the shipped ACL', async () => {
    const config = parseConfigText(configYaml([], openBroker.url).replace('cameras:', 'cameras: []'), 'test.yaml');
    const results = (await runChecks(brokerChecks(config, { connector: realMqttConnector, fs: realFileSystem }))).map((r) => inWords(r, 'en'));
    expect(results.map((r) => [r.id, r.status])).toEqual([['broker', 'pass'], ['broker:own-topics', 'pass'], ['broker:other-topics', 'fail']]);
    expect(results[2]?.hint).toMatch(/config\/mosquitto\/minwang\.acl/);
  }, 60_000);

  it('says the login was refused, and skips the publish checks', async () => {
    const config = parseConfigText(configYaml([]).replace('password: a-pw', 'password: wrong').replace('cameras:', 'cameras: []'), 'test.yaml');
    const results = (await runChecks(brokerChecks(config, { connector: realMqttConnector, fs: realFileSystem }))).map((r) => inWords(r, 'en'));
    expect(results[0]).toMatchObject({ status: 'fail', details: { kind: 'auth' } });
    expect(results[0]?.hint).toMatch(/mosquitto_passwd/);
    expect(results[1]?.message).toMatch(/not checked/);
  }, 60_000);
});
