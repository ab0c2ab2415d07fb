// The parts of the WebAssembly JavaScript API that Agora uses (src/protocol/gear-scan.ts).
// Node has the API built in, but @types/node 20 declares it only through lib.dom, which this
// project does not load (it is not a browser program).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  class Global {
    value: unknown;
  }
}
