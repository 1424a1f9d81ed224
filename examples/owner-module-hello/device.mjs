// Device side of examples/owner-module-hello: answers the greeting (the DeviceServiceInfoModule
// interface of @fdo/protocol/serviceinfo). Pass it to runTO2 / onboard in serviceInfoModules.

/** @returns {import('@fdo/protocol/serviceinfo').DeviceServiceInfoModule} */
export function helloDevice() {
  let greeting = null;
  return {
    name: 'example.hello',
    receive(message, value) {
      if (message !== 'greeting') return;
      greeting = String(value);
      return [{ message: 'reply', value: `received: ${greeting}` }];
    },
    result: () => ({ greeting }),
  };
}
