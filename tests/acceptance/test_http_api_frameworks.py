"""Lambda web code run unchanged behind an HTTP API: a FastAPI app through Mangum and a
Powertools for AWS Lambda (Python) ``APIGatewayHttpResolver`` app, each deployed as a zip with
its frameworks as a layer (built by ``make runtimes``, tests/fixtures/web_frameworks.py), quick
created as an HTTP API (payload 2.0, the catch-all ``$default`` route and stage), given the
permission SAM would add, and requested over HTTP. A named stage's prefix is in the path the
frameworks see, as on AWS: Powertools strips it itself.

What each answers is what the framework makes of AWS's payload 2.0 event.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures import web_frameworks
from tests.fixtures.server import Server, create, make_zip
from tests.fixtures.urls import http

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
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

app = APIGatewayHttpResolver()


@app.get("/hello/<name>")
def hello(name: str):
    event = app.current_event
    return {
        "message": f"hello {name}",
        "agent": event.get_header_value("user-agent"),
        "route": event.route_key,
        "stage": event.request_context.stage,
        "color": (event.stage_variables or {}).get("color"),
        "q": event.get_query_string_value("q"),
    }


@app.post("/echo")
def echo():
    return Response(status_code=202, content_type="text/plain", body=app.current_event.body)


def handler(event, context):
    return app.resolve(event, context)
"""


@pytest.fixture(scope="module")
def frameworks(server: Server) -> Iterator[str]:
    files = web_frameworks.layer_files()
    if not files:
        pytest.skip(f"the web frameworks' layer is not built (make runtimes, with {web_frameworks.RUNTIME})")
    layer = server.client().publish_layer_version(LayerName="api-web-frameworks", Content={"ZipFile": make_zip(files)})
    yield str(layer["LayerVersionArn"])


def _api(server: Server, name: str, code: str, layer: str) -> str:
    """A function of *code* behind a quick-created HTTP API; its endpoint."""
    lam, gw = server.client(), server.client("apigatewayv2")
    made = create(lam, name, code, Runtime=web_frameworks.RUNTIME, Layers=[layer], MemorySize=512, Timeout=30)
    api = gw.create_api(Name=name, ProtocolType="HTTP", Target=made["FunctionArn"])
    lam.add_permission(
        FunctionName=name,
        StatementId="api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api['ApiId']}/*/*",
    )
    return str(api["ApiEndpoint"])


def test_fastapi_through_mangum(server: Server, frameworks: str) -> None:
    endpoint = _api(server, "api-fastapi", FASTAPI_APP, frameworks)
    read = http("GET", f"{endpoint}/items/5?q=lamp", timeout=60)
    assert (read.status_code, read.json()) == (200, {"item_id": 5, "q": "lamp"}), read.text
    assert read.headers["content-type"] == "application/json"
    made = http("POST", f"{endpoint}/items", json={"name": "desk", "price": 12.5}, timeout=30)
    assert (made.status_code, made.json()) == (201, {"name": "desk", "price": 12.5}), made.text
    assert made.headers["set-cookie"].startswith("made=desk")
    invalid = http("GET", f"{endpoint}/items/not-a-number", timeout=30)
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["path", "item_id"]
    missing = http("GET", f"{endpoint}/nowhere", timeout=30)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})


def test_powertools_api_gateway_http_resolver(server: Server, frameworks: str) -> None:
    endpoint = _api(server, "api-powertools", POWERTOOLS_APP, frameworks)
    hello = http("GET", f"{endpoint}/hello/world?q=1", headers={"User-Agent": "probe/2"}, timeout=60)
    assert (hello.status_code, hello.json()) == (
        200,
        {"message": "hello world", "agent": "probe/2", "route": "$default", "stage": "$default", "color": None, "q": "1"},
    ), hello.text
    echoed = http("POST", f"{endpoint}/echo", content=b"plain words", headers={"content-type": "text/plain"}, timeout=30)
    assert (echoed.status_code, echoed.text, echoed.headers["content-type"]) == (202, "plain words", "text/plain")
    missing = http("GET", f"{endpoint}/nowhere", timeout=30)
    assert (missing.status_code, missing.json()) == (404, {"statusCode": 404, "message": "Not found"})
    # a named stage: Powertools strips the stage's prefix from rawPath itself, as it must on AWS
    gw = server.client("apigatewayv2")
    api_id = endpoint.split("//", 1)[1].split(".", 1)[0]
    gw.create_stage(ApiId=api_id, StageName="beta", AutoDeploy=True, StageVariables={"color": "green"})
    staged = http("GET", f"{endpoint}/beta/hello/stage", headers={"User-Agent": "probe/3"}, timeout=30)
    assert (staged.status_code, staged.json()) == (
        200,
        {"message": "hello stage", "agent": "probe/3", "route": "$default", "stage": "beta", "color": "green", "q": None},
    ), staged.text
