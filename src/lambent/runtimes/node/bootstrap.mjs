// The Node.js runtime: a Runtime API client, as AWS's nodejs runtimes behave.
//
// Loads `_HANDLER` ("file.export", the file being .js/.cjs (CommonJS) or .mjs/.js under
// "type": "module" (ES module)) from LAMBDA_TASK_ROOT, then loops: GET next, run the handler
// (async, or with a callback), POST the response or AWS's Node error shape
// ({errorType, errorMessage, trace}). Init failures are POSTed to /runtime/init/error with
// Runtime.ImportModuleError or Runtime.HandlerNotFound, as AWS words them. Node's own modules only.
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";

function call(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path: base + route, agent, headers: { "Content-Type": "application/json", ...headers } },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      },
    );
    request.setNoDelay(true);
    request.on("error", reject);
    request.end(body);
  });
}

function errorDocument(error, fallbackType) {
  const isError = error instanceof Error;
  return {
    errorType: isError ? error.name || fallbackType : fallbackType,
    errorMessage: isError ? error.message : String(error),
    trace: isError && error.stack ? error.stack.split("\n") : [],
  };
}

function logError(document) {
  // One log event for the whole error, as AWS's runtime writes it.
  const message = `${new Date().toISOString()}\tundefined\tERROR\t${JSON.stringify(document)}`;
  process.stdout.write(message.replace(/\n/g, "\r") + "\n");
}

async function loadHandler() {
  const taskRoot = process.env.LAMBDA_TASK_ROOT;
  const handler = process.env._HANDLER;
  const dot = handler.lastIndexOf(".");
  if (dot < 0) {
    throw Object.assign(new Error(`Bad handler ${handler}: missing the exported function name`), { name: "Runtime.MalformedHandlerName" });
  }
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const candidates = [".js", ".mjs", ".cjs"].map((extension) => path.resolve(taskRoot, modulePath + extension));
  const file = candidates.find((candidate) => fs.existsSync(candidate));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
  }
  let loaded;
  try {
    const packageJson = path.join(taskRoot, "package.json");
    const isModule =
      file.endsWith(".mjs") ||
      (file.endsWith(".js") && fs.existsSync(packageJson) && JSON.parse(fs.readFileSync(packageJson, "utf8")).type === "module");
    loaded = isModule ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  } catch (error) {
    if (error && (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_MODULE_NOT_FOUND")) {
      throw Object.assign(new Error(error.message), { name: "Runtime.ImportModuleError", stack: error.stack });
    }
    throw error;
  }
  const fn = loaded[exportName] ?? (loaded.default && loaded.default[exportName]);
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${modulePath}.${exportName} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return fn;
}

function context(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  return {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: headers["lambda-runtime-client-context"] ? JSON.parse(headers["lambda-runtime-client-context"]) : undefined,
    identity: headers["lambda-runtime-cognito-identity"] ? JSON.parse(headers["lambda-runtime-cognito-identity"]) : undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, result) => {
      if (settled) return;
      settled = true;
      error ? reject(error) : resolve(result);
    };
    try {
      const returned = fn(event, ctx, callback);
      if (returned && typeof returned.then === "function") {
        returned.then((value) => callback(null, value), (error) => callback(error ?? new Error("rejected")));
      } else if (fn.length < 3) {
        callback(null, returned);
      }
    } catch (error) {
      callback(error);
    }
  });
}

let handler;
try {
  handler = await loadHandler();
} catch (error) {
  const document = errorDocument(error, "Runtime.UserCodeSyntaxError");
  logError(document);
  const headers = { "Lambda-Runtime-Function-Error-Type": document.errorType };
  await call("POST", "/init/error", JSON.stringify(document), headers);
  process.exit(1);
}

for (;;) {
  const next = await call("GET", "/invocation/next");
  if (next.status !== 200) process.exit(1);
  const requestId = next.headers["lambda-runtime-aws-request-id"];
  if (next.headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
  try {
    const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
    const result = await run(handler, event, context(next.headers));
    const body = result === undefined ? "null" : JSON.stringify(result);
    await call("POST", `/invocation/${requestId}/response`, body);
  } catch (error) {
    const document = errorDocument(error, "Error");
    logError(document);
    await call("POST", `/invocation/${requestId}/error`, JSON.stringify(document), {
      "Lambda-Runtime-Function-Error-Type": document.errorType,
    });
  }
}
