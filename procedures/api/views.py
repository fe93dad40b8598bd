"""Runs and steps over the API: list, plan, read, and every action a person can take on the run page.

Thin, like the pages: the object is found among what the reader may see (``visible_to``: 404 otherwise), the
body is given its shape by a serializer, and then the SAME service function as the page's button is called
(``procedures.services``). Who may act and from which state is only the services' and ``procedures.signoff``'s
to say; their refusals (``PortalError``) become JSON in ``portal.api.errors``.
"""

from django.db.models import Prefetch
from django.db.models.fields.json import KeyTransform
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from procedures import actions, services
from procedures.api import serializers as s
from procedures.api.filters import RunFilter
from procedures.choices import RunState
from procedures.models import ProcedureRun, RunLogLine, StepRun
from procedures.queue import NAMES, queue_for


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _body(serializer_class, request) -> dict:
    given = serializer_class(data=request.data)
    given.is_valid(raise_exception=True)
    return given.validated_data


# The shape of each action's body (procedures.actions names it), as the API checks and the schema shows it.
BODIES = {
    "empty": s.EmptySerializer,
    "note": s.NoteSerializer,
    "reason": s.ReasonSerializer,
    "confirm": s.ConfirmSerializer,
    "sign_off": s.SignOffSerializer,
    "countersign": s.CountersignSerializer,
}

# name in the URL → (body, the service call, what the schema says): the run page's table (procedures.actions).
RUN_ACTIONS = {name: (BODIES[a.body], a.call, a.summary) for name, a in actions.in_api(actions.RUN_ACTIONS).items()}
STEP_ACTIONS = {name: (BODIES[a.body], a.call, a.summary) for name, a in actions.in_api(actions.STEP_ACTIONS).items()}


def _action(name: str, body, call, summary: str, answer, tag: str):
    """A POST action of a run or a step: find it among what the reader may see, call the service, show it again."""

    def act(self, request, pk=None):
        obj = self.get_object()
        call(obj.pk, request.user, client_address(request), _body(body, request))
        return Response(answer(self.get_queryset().get(pk=obj.pk), context=self.get_serializer_context()).data)

    act.__name__ = act.__qualname__ = name.replace("-", "_")  # before @action: the router finds it by this name
    act.__doc__ = summary
    act = action(detail=True, methods=["post"], url_path=name, url_name=name)(act)
    return extend_schema(request=body, responses={200: answer}, summary=summary, tags=[tag])(act)


RUN_RELATED = ("cluster__server", "planned_by", "approved_by", "started_by", "signed_off_by", "aborted_by")


@extend_schema(tags=["runs"])
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of the domains where the reader holds a role; ``?domain=&cluster=&procedure=&state=``, in pages."""

    filterset_class = RunFilter

    def get_queryset(self):
        runs = ProcedureRun.objects.visible_to(self.request.user).select_related(*RUN_RELATED).order_by("-pk")
        if self.action == "list":  # a page of runs without their plan snapshots (each can be large)
            runs = runs.defer("plan").annotate(plan_title=KeyTransform("title", "plan"))
        return runs

    def get_serializer_class(self):
        return s.RunSerializer if self.action == "list" else s.RunDetailSerializer

    @extend_schema(request=s.PlanRunSerializer, responses={201: s.RunDetailSerializer})
    def create(self, request):
        """Plan a run: the catalog renders the procedure for the cluster and the run keeps that plan."""
        given = s.PlanRunSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        data = given.validated_data
        run = services.plan_run(
            data["cluster"].pk, data["procedure"], dict(data["options"]), user=request.user,
            address=client_address(request),
        )  # fmt: skip
        return Response(
            s.RunDetailSerializer(self.get_queryset().get(pk=run.pk), context=self.get_serializer_context()).data,
            status=201,
        )

    @extend_schema(parameters=[s.LogQuerySerializer], responses={200: s.LogPageSerializer}, filters=False)
    @action(detail=True, methods=["get"], url_path="log", url_name="log", filter_backends=(), pagination_class=None)
    def log(self, request, pk=None):
        """The run's stored log lines after ``after``, in sequence order, and whether the run has ended."""
        run = self.get_object()  # first: a run seen ended has stored every line it will ever have
        query = s.LogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        lines = RunLogLine.objects.filter(run_id=run.pk, seq__gt=q["after"]).order_by("seq")
        if q.get("step"):
            lines = lines.filter(step_id=q["step"])
        rows = [
            {"seq": seq, "step": step, "host": host, "stream": stream, "text": text, "at": at}
            for seq, step, host, stream, text, at in lines.values_list(
                "seq", "step_id", "host", "stream", "text", "at"
            )[: q["limit"]]
        ]
        page = {"lines": rows, "last_seq": RunLogLine.objects.last_seq(run.pk), "finished": run.state in RunState.ENDED}
        return Response(s.LogPageSerializer(page).data)


for _name, (_body_class, _call, _summary) in RUN_ACTIONS.items():
    setattr(
        RunViewSet, _name.replace("-", "_"), _action(_name, _body_class, _call, _summary, s.RunDetailSerializer, "runs")
    )


@extend_schema(tags=["steps"])
class StepViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One step of a run the reader may see, and the actions on it."""

    serializer_class = s.StepSerializer

    def get_queryset(self):
        runs = ProcedureRun.objects.select_related("cluster__server")
        return (
            StepRun.objects.visible_to(self.request.user)
            .select_related("executed_by", "confirmed_by", "signed_off_by", "resolution_requested_by", "resolved_by")
            .prefetch_related(Prefetch("run", queryset=runs))
        )


for _name, (_body_class, _call, _summary) in STEP_ACTIONS.items():
    setattr(
        StepViewSet, _name.replace("-", "_"), _action(_name, _body_class, _call, _summary, s.StepSerializer, "steps")
    )


class DecisionItemSerializer(serializers.Serializer):
    """A duty done outside the portal, or a changed host key: what it is about and where it is decided."""

    id = serializers.IntegerField()
    server = serializers.SerializerMethodField(help_text="The Groupmax server's name.")
    node = serializers.SerializerMethodField(help_text="The node's host name; null for a standalone server.")
    state = serializers.CharField()
    page = serializers.CharField(source="decision_url", help_text="The portal page where the decision is taken.")

    def get_server(self, obj) -> str:
        server = obj.server if obj.server_id else obj.node.cluster.server
        return server.name

    def get_node(self, obj) -> str | None:
        return obj.node.host_name if obj.node_id else None


class QueueSerializer(serializers.Serializer):
    run_command = s.StepSerializer(many=True, help_text="Four-eyes steps whose commands wait for a go.")
    sign_off = s.StepSerializer(many=True, help_text="Four-eyes steps to sign off.")
    countersign = s.StepSerializer(many=True, help_text="Requested skips and mark-dones to countersign.")
    approve = s.RunSerializer(many=True, help_text="Plans to approve.")
    close = s.RunSerializer(many=True, help_text="Completed runs to sign off.")
    outside_duty = DecisionItemSerializer(many=True, help_text="Duties recorded as done outside the portal.")
    host_key = DecisionItemSerializer(many=True, help_text="Changed host keys to accept or reject.")
    host_key_sign_off = DecisionItemSerializer(many=True, help_text="Accepted host keys to sign off.")


class QueueView(APIView):
    """What waits for the reader's decision, never their own work: the approver's queue page (``procedures.queue``),
    every section of it."""

    @extend_schema(responses={200: QueueSerializer}, tags=["runs"])
    def get(self, request):
        waiting = queue_for(request.user)
        data = {NAMES[decision]: items for decision, items in waiting.waiting.items()}
        return Response(QueueSerializer(data, context={"request": request}).data)
