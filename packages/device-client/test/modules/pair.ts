/**
 * The ServiceInfo part of TO2 in process (FDO 1.1 §5.5.11–§5.5.12): the owner driver and the device
 * driver exchange TO2.DeviceServiceInfo / TO2.OwnerServiceInfo bodies exactly as runTO2 and the owner
 * responder do, sizes enforced, the owner state passed through JSON between messages (as the owner
 * service stores it). No HTTP and no encryption: those are covered by the end-to-end test.
 */
import {
  DeviceServiceInfoDriver,
  newOwnerServiceInfoState,
  ownerServiceInfoResults,
  ownerServiceInfoStep,
  type DeviceServiceInfoModule,
  type OwnerServiceInfoModule,
  type OwnerServiceInfoState,
} from '@fdo/protocol/serviceinfo';
import { packServiceInfo, serviceInfoSize, type ServiceInfo } from '@fdo/protocol';

export const devmod = { os: 'Linux', arch: 'x86_64', version: '6.1', device: 'test-board', sn: 'SN-1' };
export const GUID = '0123456789abcdef0123456789abcdef';

export interface PairResult {
  owner: Record<string, { phase: string; result: unknown }>;
  device: Record<string, unknown>;
  /** DeviceServiceInfo messages sent. */
  messages: number;
}

export async function pair(
  ownerModules: readonly OwnerServiceInfoModule[],
  deviceModules: readonly DeviceServiceInfoModule[],
  opts: { budget?: number; tags?: string[] } = {},
): Promise<PairResult> {
  const budget = opts.budget ?? 1300;
  const driver = new DeviceServiceInfoDriver(devmod, deviceModules, { maxDeviceServiceInfoSz: budget });
  let state: OwnerServiceInfoState = newOwnerServiceInfoState();
  let queue: ServiceInfo[] = packServiceInfo(driver.initial(), budget);
  let pending: ServiceInfo = [];
  for (let round = 0; round < 100_000; round++) {
    const chunk = queue.shift() ?? [];
    if (serviceInfoSize(chunk) > budget) throw new Error('device ServiceInfo over its limit');
    const step = await ownerServiceInfoStep(
      state,
      { isMoreServiceInfo: queue.length > 0, serviceInfo: chunk },
      { modules: ownerModules, guid: GUID, nextGuid: GUID, tags: opts.tags ?? [], budget, maxRounds: 100_000 },
    );
    state = JSON.parse(JSON.stringify(step.state)) as OwnerServiceInfoState;
    const reply = step.reply;
    if (serviceInfoSize(reply.serviceInfo) > budget) throw new Error('owner ServiceInfo over the device limit');
    if (reply.serviceInfo.length > 0) pending.push(...(await driver.handle(reply.serviceInfo)));
    if (reply.isDone) {
      const owner = ownerServiceInfoResults(state, ownerModules) as PairResult['owner'];
      return { owner, device: driver.results(), messages: round + 1 };
    }
    if (queue.length > 0 || reply.isMoreServiceInfo) continue;
    queue = packServiceInfo(pending, budget);
    pending = [];
  }
  throw new Error('ServiceInfo did not finish');
}
