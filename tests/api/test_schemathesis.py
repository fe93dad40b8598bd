"""schemathesis against the live schema: every operation, with generated inputs, as a domain administrator.

The schema is the one the running portal serves at /api/schema/ (loaded through the WSGI app, with a token).
For every response: no server error, the status, content type and body as the schema documents them, and
nothing of the hidden domain (where the caller has no role) in it, whatever id the generator tried. The
host-key operations are left out: they connect over SSH to whatever the node names (tests/api/test_hostkeys.py
runs them against the lab). Examples are bounded so the whole run stays within about two minutes on two cores.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.models import ApiToken
from procedures import services
from tests.fixtures.api import HIDDEN
from tests.fixtures.runs import console_step, make_plan

pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume")  # log.txt, read synchronously

EXAMPLES = 5  # per operation and kind of input: ~47 operations, 2-4 kinds each
STATEFUL_EXAMPLES = 20  # sequences of up to six calls along the links


@pytest.fixture
def wsgi_app():
    """The portal's WSGI app, keeping the test's database connection open between requests, as Django's test
    client does (a finished request would otherwise close it, and the test's transaction with it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(api_world, wsgi_app):
    _token, key = ApiToken.issue(api_world.admin, "schemathesis")
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers={"Authorization": f"Token {key}"}).exclude(
        path_regex=r"^/api/hosts/"
    )


def _no_hidden_object(ctx, response, case):
    """Nothing of the domain where the caller has no role, in any answer (its names all start with HIDDEN)."""
    assert HIDDEN not in response.text, f"{case.method} {case.formatted_path} showed an object of another domain"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          _no_hidden_object]  # fmt: skip


def _run(operation, mode, admin, failures, answers, **fixed):
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])  # fmt: skip
    def examples(case):
        _token, key = ApiToken.issue(admin, "case")  # a fresh one: a generated DELETE may revoke the last
        response = case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1

    try:
        examples()
    except Unsatisfiable:  # negative inputs of an operation that takes none (GET /api/queue/): nothing to send
        assert mode == GenerationMode.NEGATIVE, operation.label
    except (Exception, BaseExceptionGroup) as error:  # every operation is tried; all failures are reported together
        found = getattr(error, "exceptions", None) or [error]
        failures.append(f"{mode} {operation.label} {fixed}:\n" + "\n".join(str(e)[:1500] for e in found))


def _objects(w) -> dict:
    """Per collection: an object of the caller's domain and one of the hidden domain, to aim the ids at."""
    run = services.create_run(w.cluster, make_plan(w.cluster, [console_step("c"), console_step("d")]), user=w.operator)
    mine, _key = ApiToken.issue(w.admin, "listed")
    theirs, _key = ApiToken.issue(w.hidden.operator, "hidden")
    h = w.hidden
    return {
        "runs": (run.pk, h.run.pk), "steps": (run.steps.first().pk, h.step.pk),
        "clusters": (w.cluster.pk, h.cluster.pk),
        "nodes": (w.node1.pk, h.node.pk), "servers": (w.domain.master.pk, h.server.pk),
        "domains": (w.domain.pk, h.domain.pk), "sites": (w.domain.site_id, h.domain.site_id),
        "tokens": (mine.pk, theirs.pk),
    }  # fmt: skip


def test_every_operation_answers_as_documented_and_never_leaks(api_world, api_schema):
    failures, tried, answers = [], 0, {}
    objects = _objects(api_world)
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, api_world.admin, failures, answers)
        collection = operation.path.split("/")[2]
        if "{id}" in operation.path and collection in objects:  # real ids: own domain's, then the hidden one's
            for pk in objects[collection]:
                _run(operation, GenerationMode.POSITIVE, api_world.admin, failures, answers, path_parameters={"id": pk})
        tried += 1
    assert tried >= 30
    assert answers.get(200, 0) > tried and answers.get(400, 0) > tried, answers  # both reached the code, not only 404s
    print("schemathesis: operations", tried, "answers by status", dict(sorted(answers.items())))
    assert not failures, "\n\n".join(failures)


def test_sequences_along_the_schemas_links_answer_as_documented(api_world, api_schema):
    """Stateful: plan → read → approve → start → step actions, created server → change → delete, and so on.

    Planning is aimed at the caller's (master) cluster with its procedure (a generated id would almost never
    name one), so the sequences that start with a planned run get past their first call.
    """
    answers = {}

    @api_schema.hook("map_body")
    def plan_on_a_real_cluster(context, body):
        if context.operation.label == "POST /api/runs/" and isinstance(body, dict):
            return {**body, "cluster": api_world.cluster.pk, "procedure": "k5-1a"}  # the master's procedure
        return body

    class Sequences(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            _token, key = ApiToken.issue(api_world.admin, "stateful")
            return {"headers": {"Authorization": f"Token {key}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            seen = (case.operation.label, response.status_code)
            answers[seen] = answers.get(seen, 0) + 1
            case.validate_response(response, checks=CHECKS)

    Sequences.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, deadline=None,
                                    database=None, derandomize=True,  # the same sequences on every run
                                    suppress_health_check=list(HealthCheck)))  # fmt: skip
    print("stateful", sorted(answers.items()))
    assert answers.get(("POST /api/runs/", 201)), answers  # the sequences really started from a planned run
