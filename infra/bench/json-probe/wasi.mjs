// Runs the json-probe wasm32-wasip1 build under Node's WASI (infra/bench/json-probe/run).
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";
const wasi = new WASI({ version: "preview1", args: [], env: {} });
const m = await WebAssembly.compile(readFileSync(process.argv[2]));
const inst = await WebAssembly.instantiate(m, wasi.getImportObject());
wasi.start(inst);
