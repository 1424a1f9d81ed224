// A worked example of an owner ServiceInfo module, loaded from configuration:
//
//   FDO_OWNER_MODULES=./examples/owner-module-hello/owner.mjs fdo-owner serve
//
// The default export is a factory the owner calls at start with { dataDir, log }; it returns the
// module (the OwnerServiceInfoModule interface of @fdo/protocol/serviceinfo, docs/owner-modules.md).
// The module greets the device with what it knows of it (devmod facts and the voucher's tags) and
// records the device's answer. Its state is plain JSON: the owner stores it in the TO2 session, so
// the next message may be answered by another instance.
//
// Device side: device.mjs in this folder.

/** @returns {import('@fdo/protocol/serviceinfo').OwnerServiceInfoModule<{ sent: boolean, reply: string | null }>} */
export default function helloModule({ log }) {
  return {
    name: 'example.hello',
    // Only devices that reported a serial number in devmod (devmod:sn).
    appliesTo: (device) => device.devmod.sn !== null,
    start: () => ({ sent: false, reply: null }),
    produce(state, { device }) {
      if (state.reply !== null) return { state, messages: [], done: true };
      if (state.sent) return { state, messages: [], done: false }; // waiting for the device
      const { os, arch, device: model, sn } = device.devmod;
      const greeting = `hello ${model} ${sn} (${os}/${arch}), tags: ${device.tags.join(',') || 'none'}`;
      return { state: { ...state, sent: true }, messages: [{ message: 'greeting', value: greeting }], done: false };
    },
    receive(state, { message, value }, { device }) {
      if (message !== 'reply' || typeof value !== 'string') return state;
      log.info({ guid: device.guid, reply: value }, 'example.hello: the device answered');
      return { ...state, reply: value };
    },
    result: (state) => ({ reply: state.reply }),
  };
}
