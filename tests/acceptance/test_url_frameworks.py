"""Lambda web code run unchanged behind a function URL: a FastAPI app through Mangum, a
Powertools for AWS Lambda (Python) resolver and an Express app through serverless-http on
nodejs20.x, each deployed as a zip with its frameworks as a layer (built by ``make runtimes``,
tests/fixtures/web_frameworks.py) and requested over HTTP.

What each answers is what the framework makes of AWS's payload 2.0 event: FastAPI's routing,
validation errors and cookies through Mangum's adapter; Powertools' routes, path parameters and
its ``LambdaFunctionUrlResolver``'s response shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures import web_frameworks
from tests.fixtures.server import Server, create, make_zip
from tests.fixtures.urls import http, make_public

FASTAPI_APP = """
from fastapi import FastAPI, Response
from mangum import Mangum
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.post("/items", status_code=201)
def make_item(item: Item, response: Response):
    response.set_cookie("made", item.name)
    return {"name": item.name, "price": item.price}


handler = Mangum(app, lifespan="off")
"""

POWERTOOLS_APP = """
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

app = LambdaFunctionUrlResolver()


@app.get("/hello/<name>")
def hello(name: str):
    return {"message": f"hello {name}", "agent": app.current_event.get_header_value("user-agent")}


@app.post("/echo")
def echo():
    return Response(status_code=202, content_type="text/plain", body=app.current_event.body)


def handler(event, context):
    return app.resolve(event, context)
"""


EXPRESS_APP = """
const express = require("express");
const serverless = require("serverless-http");

const app = express();
app.use(express.json());
app.get("/users/:id", (req, res) => res.json({ id: req.params.id, sort: req.query.sort, agent: req.get("user-agent") }));
app.post("/echo", (req, res) => {
  res.cookie("seen", "yes");
  res.status(201).json({ got: req.body });
});

module.exports.handler = serverless(app);
"""


@pytest.fixture(scope="module")
def frameworks(server: Server) -> Iterator[str]:
    files = web_frameworks.layer_files()
    if not files:
        pytest.skip(f"the web frameworks' layer is not built (make runtimes, with {web_frameworks.RUNTIME})")
    lam = server.client()
    layer = lam.publish_layer_version(LayerName="web-frameworks", Content={"ZipFile": make_zip(files)})
    yield str(layer["LayerVersionArn"])


def _url(server: Server, name: str, code: str | dict[str, str | bytes], layer: str, runtime: str = web_frameworks.RUNTIME) -> str:
    lam = server.client()
    handler = "index.handler" if runtime.startswith("nodejs") else "app.handler"
    create(lam, name, code, Runtime=runtime, Handler=handler, Layers=[layer], MemorySize=512, Timeout=30)
    url = str(lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"])
    make_public(lam, name)
    return url


def test_fastapi_through_mangum(server: Server, frameworks: str) -> None:
    url = _url(server, "web-fastapi", FASTAPI_APP, frameworks)
    read = http("GET", f"{url}items/5?q=lamp", timeout=60)
    assert (read.status_code, read.json()) == (200, {"item_id": 5, "q": "lamp"}), read.text
    assert read.headers["content-type"] == "application/json"
    made = http("POST", f"{url}items", json={"name": "desk", "price": 12.5}, timeout=30)
    assert (made.status_code, made.json()) == (201, {"name": "desk", "price": 12.5}), made.text
    assert made.headers["set-cookie"].startswith("made=desk")
    invalid = http("GET", f"{url}items/not-a-number", timeout=30)
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["path", "item_id"]
    missing = http("GET", f"{url}nowhere", timeout=30)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})


def test_powertools_lambda_function_url_resolver(server: Server, frameworks: str) -> None:
    url = _url(server, "web-powertools", POWERTOOLS_APP, frameworks)
    hello = http("GET", f"{url}hello/world", headers={"User-Agent": "probe/2"}, timeout=60)
    assert (hello.status_code, hello.json()) == (200, {"message": "hello world", "agent": "probe/2"}), hello.text
    echoed = http("POST", f"{url}echo", content=b"plain words", headers={"content-type": "text/plain"}, timeout=30)
    assert (echoed.status_code, echoed.text, echoed.headers["content-type"]) == (202, "plain words", "text/plain")
    missing = http("GET", f"{url}nowhere", timeout=30)
    assert missing.status_code == 404, missing.text
    body: Any = missing.json()
    assert body == {"statusCode": 404, "message": "Not found"}


def test_express_through_serverless_http(server: Server) -> None:
    files = web_frameworks.node_layer_files()
    if not files:
        pytest.skip("the Express layer is not built (make runtimes, with npm)")
    layer = server.client().publish_layer_version(LayerName="web-express", Content={"ZipFile": make_zip(files)})
    url = _url(server, "web-express", {"index.js": EXPRESS_APP}, layer["LayerVersionArn"], web_frameworks.NODE_RUNTIME)
    user = http("GET", f"{url}users/42?sort=asc", headers={"User-Agent": "probe/3"}, timeout=60)
    assert (user.status_code, user.json()) == (200, {"id": "42", "sort": "asc", "agent": "probe/3"}), user.text
    echoed = http("POST", f"{url}echo", json={"a": [1, 2]}, timeout=30)
    assert (echoed.status_code, echoed.json()) == (201, {"got": {"a": [1, 2]}}), echoed.text
    assert echoed.headers["set-cookie"].startswith("seen=yes")
    missing = http("GET", f"{url}nowhere", timeout=30)
    assert missing.status_code == 404 and "Cannot GET /nowhere" in missing.text
