// The Node.js runtime: a Runtime API client, as AWS's nodejs runtimes behave.
//
// Loads `_HANDLER` ("file.export", the file being .js/.cjs (CommonJS) or .mjs/.js under
// "type": "module" (ES module)) from LAMBDA_TASK_ROOT, then loops: GET next, run the handler
// (async, or with a callback), POST the response or AWS's Node error shape
// ({errorType, errorMessage, trace}). Init failures are POSTed to /runtime/init/error with
// Runtime.ImportModuleError or Runtime.HandlerNotFound, as AWS words them. Node's own modules only.
//
// Response streaming as AWS's runtime offers it: the global `awslambda.streamifyResponse(handler)`
// marks a handler `(event, responseStream, context)`, whose responseStream is a Writable POSTed
// to /response with `Lambda-Runtime-Function-Response-Mode: streaming` as it is written (chunked;
// its writes wait while the platform is behind); an error after the first write goes in the
// trailers Lambda-Runtime-Function-Error-Type and -Body (base64). `awslambda.HttpResponseStream
// .from(stream, metadata)` opens it with the HTTP prelude function URLs read (the metadata JSON
// and eight null bytes, under application/vnd.awslambda.http-integration-response).
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { Writable } from "node:stream";

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

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response";

class ResponseStream extends Writable {
  constructor(requestId) {
    super();
    this.requestId = requestId;
    this.contentType = "application/octet-stream";
    this.request = null;
    this.failure = null;
    this.answered = new Promise((resolve, reject) => {
      this.resolveAnswer = resolve;
      this.rejectAnswer = reject;
    });
  }

  setContentType(contentType) {
    if (this.request) throw new Error("The content type must be set before the first write");
    this.contentType = contentType;
  }

  open() {
    if (!this.request) {
      this.request = http.request(
        {
          host,
          port,
          method: "POST",
          path: `${base}/invocation/${this.requestId}/response`,
          agent,
          headers: {
            "Content-Type": this.contentType,
            "Lambda-Runtime-Function-Response-Mode": "streaming",
            "Transfer-Encoding": "chunked",
            Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
          },
        },
        (response) => {
          response.resume();
          response.on("end", () => this.resolveAnswer(response.statusCode));
        },
      );
      this.request.setNoDelay(true);
      this.request.on("error", (error) => this.rejectAnswer(error));
      this.request.flushHeaders();
    }
    return this.request;
  }

  _write(chunk, encoding, callback) {
    this.open().write(chunk, encoding, () => callback());
  }

  _final(callback) {
    const request = this.open();
    if (this.failure) {
      request.addTrailers({
        "Lambda-Runtime-Function-Error-Type": this.failure.errorType,
        "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(this.failure)).toString("base64"),
      });
    }
    request.end(() => callback());
  }
}

globalThis.awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = "response";
    return fn;
  },
  HttpResponseStream: {
    from(stream, metadata) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(JSON.stringify(metadata ?? {}));
      stream.write(new Uint8Array(8));
      return stream;
    },
  },
};

function finished(stream) {
  return new Promise((resolve) => (stream.writableFinished ? resolve() : stream.once("finish", resolve)));
}

async function stream(fn, requestId, event, ctx) {
  const responseStream = new ResponseStream(requestId);
  try {
    await fn(event, responseStream, ctx);
    if (!responseStream.writableEnded) responseStream.end();
    await finished(responseStream);
  } catch (error) {
    const document = errorDocument(error, "Error");
    logError(document);
    if (!responseStream.request) {
      // nothing was streamed yet: the error is the answer, as for any handler
      await call("POST", `/invocation/${requestId}/error`, JSON.stringify(document), {
        "Lambda-Runtime-Function-Error-Type": document.errorType,
      });
      return;
    }
    if (!responseStream.writableEnded) {
      responseStream.failure = document;
      responseStream.end();
    }
    await finished(responseStream);
  }
  await responseStream.answered;
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
    if (handler[STREAMING] === "response") {
      await stream(handler, requestId, event, context(next.headers));
      continue;
    }
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
