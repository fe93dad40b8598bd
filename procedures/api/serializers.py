"""Runs, steps and log lines as JSON, and the bodies of the actions on them.

What a run or step shows comes from its plan snapshot, in the reader's language (``procedures.texts``), as on
the run page. The action bodies only give the request its shape (types, lengths); whether the action is
allowed, and with which values, is the service's to say, so the API refuses what the page refuses.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import Cluster
from portal.api.filters import LARGEST_STORED
from procedures import services
from procedures.catalog import PROCEDURES
from procedures.models import ProcedureRun, StepRun
from procedures.texts import localised

NOTE_MAX = 2000


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


@extend_schema_field({"type": "string", "nullable": True})
class UserNameField(serializers.Field):
    """A person as their user name (read-only)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return _username(value)


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the reader's language.")
    expected = serializers.CharField(help_text="The value the console must show; empty when none.")
    text = serializers.CharField(help_text="The label with its expected value, as the page and the record show it.")


class StepSerializer(serializers.ModelSerializer):
    run = serializers.PrimaryKeyRelatedField(read_only=True)
    seed_ids = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    needs_signoff = serializers.BooleanField(read_only=True)
    checklist = serializers.SerializerMethodField()
    ticked = serializers.ListField(source="checklist", child=serializers.CharField(), read_only=True)
    hosts = serializers.SerializerMethodField(help_text="The hosts the step acts on, as their labels.")
    resolution = serializers.CharField(read_only=True, help_text="A requested skip or mark-done, or empty.")
    resolution_version = serializers.IntegerField(
        read_only=True, help_text="The request's number: a countersign names it (``request``)."
    )
    approved_by = UserNameField(help_text="Who approved the step's commands before they were sent.")
    rejected_by = UserNameField(help_text="Who rejected this attempt (its commands, or its outcome).")
    executed_by = UserNameField()
    confirmed_by = UserNameField()
    signed_off_by = UserNameField()
    resolution_requested_by = UserNameField()
    resolved_by = UserNameField()

    class Meta:
        model = StepRun
        fields = (
            "id", "run", "position", "key", "seed_ids", "kind", "target", "title", "state", "attempt",
            "needs_signoff", "checklist", "ticked", "hosts", "message", "resolution", "resolution_reason",
            "resolution_version", "approved_by", "approved_at", "rejected_by", "executed_by", "confirmed_by",
            "signed_off_by", "resolution_requested_by", "resolved_by", "started_at", "finished_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_seed_ids(self, step) -> list[str]:
        return list(step.planned.seed_ids)

    def get_target(self, step) -> str:
        return step.planned.target

    def get_title(self, step) -> str:
        return localised(step.planned.title)

    def get_checklist(self, step) -> list[dict]:
        return ChecklistItemSerializer([item.shown() for item in step.planned.checklist], many=True).data

    def get_hosts(self, step) -> list[str]:
        return [ref.label for ref in step.planned.hosts]


class RunSerializer(serializers.ModelSerializer):
    domain = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField(help_text="The procedure's title, in the reader's language.")
    planned_by = UserNameField()
    approved_by = UserNameField()
    started_by = UserNameField()
    signed_off_by = UserNameField()
    aborted_by = UserNameField()

    class Meta:
        model = ProcedureRun
        fields = (
            "id", "cluster", "domain", "procedure", "title", "state", "wait_reason", "wait_message", "plan_digest",
            "planned_by", "approved_by", "started_by", "signed_off_by", "aborted_by", "abort_reason",
            "created_at", "approved_at", "started_at", "finished_at", "signed_off_at",
        )  # fmt: skip
        read_only_fields = fields

    def get_domain(self, run) -> int | None:
        server = getattr(run.cluster, "server", None)
        return server.domain_id if server else None

    def get_title(self, run) -> str:
        """A list reads only the title out of the plan snapshot (``plan_title``), never the whole plan."""
        title = run.plan_title if hasattr(run, "plan_title") else run.plan.get("title")
        return localised(title)


class StepMaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    approve = serializers.BooleanField(help_text="Approve the step's commands before they are sent.")
    sign_off = serializers.BooleanField()
    countersign = serializers.BooleanField()


class ActionsSerializer(serializers.Serializer):
    """What the reader may do now, from ``services.actions_for`` (the run page's buttons); the services check again."""

    approve = serializers.BooleanField()
    start = serializers.BooleanField()
    resume = serializers.BooleanField()
    abort = serializers.BooleanField()
    sign_off = serializers.BooleanField()
    operate = serializers.BooleanField()
    steps = StepMaySerializer(many=True)


class RunDetailSerializer(RunSerializer):
    steps = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    plan = serializers.JSONField(read_only=True, help_text="The plan snapshot the run executes, as it was planned.")

    class Meta(RunSerializer.Meta):
        fields = (*RunSerializer.Meta.fields, "steps", "actions", "plan")
        read_only_fields = fields

    def _steps(self, run) -> list:
        if not hasattr(run, "_api_steps"):
            plan = run.plan_object
            steps = list(
                run.steps.select_related(
                    "executed_by", "confirmed_by", "signed_off_by", "resolution_requested_by", "resolved_by"
                )
            )
            for step in steps:
                step.run = run
                step._planned = plan.steps[step.position - 1]
            run._api_steps = steps
        return run._api_steps

    def get_steps(self, run) -> StepSerializer(many=True):
        return StepSerializer(self._steps(run), many=True, context=self.context).data

    def get_actions(self, run) -> ActionsSerializer:
        may = services.actions_for(self.context["request"].user, run, self._steps(run))
        may["steps"] = [{"id": pk, **flags} for pk, flags in may["steps"].items()]
        return ActionsSerializer(may).data


class OptionsSerializer(serializers.Serializer):
    """The choices an operator makes when planning (the catalog validates them and refuses by name)."""

    db_files_precreated = serializers.BooleanField(required=False, help_text="Leaves out A-18 / B-18+B-19.")
    previous_database_directory = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="K.5 (2): the database directory before."
    )


class PlanRunSerializer(serializers.Serializer):
    cluster = serializers.PrimaryKeyRelatedField(queryset=Cluster.objects.none())
    procedure = serializers.ChoiceField(choices=sorted(PROCEDURES))
    options = OptionsSerializer(required=False, default=dict)

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:  # clusters the reader may see; planning itself needs the operator role
            fields["cluster"].queryset = Cluster.objects.visible_to(request.user)
        return fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=NOTE_MAX, help_text="Why; it goes into the record.")


class EmptySerializer(serializers.Serializer):
    pass


class ConfirmSerializer(serializers.Serializer):
    checklist = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Every checklist item's key, true when ticked; the step is refused while one is not.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class CountersignSerializer(serializers.Serializer):
    request = serializers.CharField(
        max_length=20, help_text="The number of the request you read (the step's resolution_version)."
    )


class SignOffSerializer(serializers.Serializer):
    verdict = serializers.CharField(default="approve", max_length=20, help_text="approve or reject")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX, help_text="Needed with reject."
    )


class LogLineSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The line's number in the run, from 1, without gaps.")
    step = serializers.IntegerField(allow_null=True, help_text="The step's id; null for a run-wide line.")
    host = serializers.CharField(allow_blank=True)
    stream = serializers.CharField(help_text="out, err or sys (written by the portal).")
    text = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class LogPageSerializer(serializers.Serializer):
    lines = LogLineSerializer(many=True)
    last_seq = serializers.IntegerField(help_text="The run's last stored line so far.")
    finished = serializers.BooleanField(help_text="The run has ended: once you have read to last_seq, that is all.")


class LogQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=LARGEST_STORED, help_text="The last seq you have."
    )
    limit = serializers.IntegerField(required=False, default=1000, min_value=1, max_value=5000)
    step = serializers.IntegerField(
        required=False, min_value=1, max_value=LARGEST_STORED, help_text="Only this step's lines."
    )
