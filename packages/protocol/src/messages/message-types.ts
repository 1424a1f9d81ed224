/**
 * Every FDO 1.1 message number in one table (§3.2 "Message Types", §5): DI 10–13, TO0 20–23,
 * TO1 30–33, TO2 60–71 and Error 255. TO2 messages 65–71 travel encrypted (§3.6: after
 * TO2.ProveDevice, the last plaintext message); this layer codes their plaintext bodies.
 */
export const MsgType = {
  DIAppStart: 10,
  DISetCredentials: 11,
  DISetHMAC: 12,
  DIDone: 13,
  TO0Hello: 20,
  TO0HelloAck: 21,
  TO0OwnerSign: 22,
  TO0AcceptOwner: 23,
  TO1HelloRV: 30,
  TO1HelloRVAck: 31,
  TO1ProveToRV: 32,
  TO1RVRedirect: 33,
  TO2HelloDevice: 60,
  TO2ProveOVHdr: 61,
  TO2GetOVNextEntry: 62,
  TO2OVNextEntry: 63,
  TO2ProveDevice: 64,
  TO2SetupDevice: 65,
  TO2DeviceServiceInfoReady: 66,
  TO2OwnerServiceInfoReady: 67,
  TO2DeviceServiceInfo: 68,
  TO2OwnerServiceInfo: 69,
  TO2Done: 70,
  TO2Done2: 71,
  Error: 255,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

export type FdoProtocol = 'DI' | 'TO0' | 'TO1' | 'TO2' | 'Error';

export interface MessageTypeInfo {
  readonly type: MsgType;
  /** The spec's name, e.g. "TO2.ProveOVHdr". */
  readonly name: string;
  readonly protocol: FdoProtocol;
  /** Body carried inside the TO2 encrypted session (65–71). */
  readonly encrypted: boolean;
  /** Sent by the device (client) rather than by the server. */
  readonly fromDevice: boolean;
}

const entry = (type: MsgType, name: string, fromDevice: boolean): MessageTypeInfo => {
  const protocol = (name.includes('.') ? name.slice(0, name.indexOf('.')) : name) as FdoProtocol;
  return { type, name, protocol, encrypted: type >= 65 && type <= 71, fromDevice };
};

/** DI, TO1 and TO2 clients are devices; in TO0 the owner is the client and "fromDevice" means "from the client". */
export const MESSAGE_TYPES: readonly MessageTypeInfo[] = [
  entry(10, 'DI.AppStart', true),
  entry(11, 'DI.SetCredentials', false),
  entry(12, 'DI.SetHMAC', true),
  entry(13, 'DI.Done', false),
  entry(20, 'TO0.Hello', true),
  entry(21, 'TO0.HelloAck', false),
  entry(22, 'TO0.OwnerSign', true),
  entry(23, 'TO0.AcceptOwner', false),
  entry(30, 'TO1.HelloRV', true),
  entry(31, 'TO1.HelloRVAck', false),
  entry(32, 'TO1.ProveToRV', true),
  entry(33, 'TO1.RVRedirect', false),
  entry(60, 'TO2.HelloDevice', true),
  entry(61, 'TO2.ProveOVHdr', false),
  entry(62, 'TO2.GetOVNextEntry', true),
  entry(63, 'TO2.OVNextEntry', false),
  entry(64, 'TO2.ProveDevice', true),
  entry(65, 'TO2.SetupDevice', false),
  entry(66, 'TO2.DeviceServiceInfoReady', true),
  entry(67, 'TO2.OwnerServiceInfoReady', false),
  entry(68, 'TO2.DeviceServiceInfo', true),
  entry(69, 'TO2.OwnerServiceInfo', false),
  entry(70, 'TO2.Done', true),
  entry(71, 'TO2.Done2', false),
  entry(255, 'Error', false),
];

const byType = new Map<number, MessageTypeInfo>(MESSAGE_TYPES.map((e) => [e.type, e]));

/** The table entry of a message number, or undefined for numbers FDO does not define. */
export function messageTypeInfo(type: number): MessageTypeInfo | undefined {
  return byType.get(type);
}

/** "TO2.ProveOVHdr (61)", or "message 42" for an unknown number. */
export function messageName(type: number): string {
  const info = byType.get(type);
  return info === undefined ? `message ${type}` : `${info.name} (${type})`;
}

/** The number of the message that answers `type` in its protocol, or undefined (13, 23, 33, 71, 255). */
export function responseTo(type: number): number | undefined {
  const info = byType.get(type);
  if (info === undefined || !info.fromDevice) return undefined;
  return type + 1;
}
