"""Forms of the catalog and of runs: a site's command lines (admin), a plan's options, a console step's confirmation."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from procedures.catalog import PROCEDURES, CatalogError
from procedures.catalog import commands as site_commands
from procedures.catalog.options import OPERATOR_CHOICES
from procedures.choices import FourEyesKind
from procedures.models import SiteCommands
from procedures.models.evidence import max_bytes
from procedures.models.signoff import MAX_APPROVERS
from procedures.texts import localised


class SiteCommandsForm(forms.ModelForm):
    """One field per registry key; an empty field means "use the catalog's default"."""

    class Meta:
        model = SiteCommands
        fields = ("site",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = (self.instance.overrides if self.instance and self.instance.pk else None) or {}
        if not isinstance(stored, dict):  # broken stored data: show empty fields, so a superuser can repair it
            stored = {}
        for key, line in site_commands.REGISTRY.items():
            placeholders = ", ".join("{" + p + "}" for p in line.placeholders)
            help_text = str(line.help)
            if placeholders:
                help_text += " " + str(_("Placeholders: {names}.")).format(names=placeholders)
            self.fields[key] = forms.CharField(
                label=key,
                required=False,
                initial=stored.get(key, ""),
                help_text=help_text + " " + str(_("Default: {default}")).format(default=line.default),
                widget=forms.TextInput(attrs={"size": 100, "placeholder": line.default}),
            )

    def clean(self):
        cleaned = super().clean()
        overrides = {}
        for key in site_commands.REGISTRY:
            value = (cleaned.get(key) or "").strip()
            if not value or value == site_commands.REGISTRY[key].default:
                continue
            try:
                site_commands.validate_value(key, value)
            except ValidationError as exc:
                self.add_error(key, exc)
                continue
            overrides[key] = value
        cleaned["overrides"] = overrides
        return cleaned

    def save(self, commit=True):
        self.instance.overrides = self.cleaned_data.get("overrides", {})
        return super().save(commit=commit)


def procedure_choices() -> list[tuple[str, str]]:
    """The catalog's procedures, titled in the reader's language."""
    return [(code, localised(procedure.title)) for code, procedure in PROCEDURES.items()]


def _operator_field(choice) -> forms.Field:
    """The plan page's field of one catalog option; its value is checked by the catalog's own rule."""

    def check(value):
        try:
            choice.parse(value)
        except CatalogError as exc:
            raise ValidationError(str(exc), code="option") from None

    if choice.flag:
        return forms.BooleanField(required=False, label=choice.label, help_text=choice.help)
    return forms.CharField(required=False, label=choice.label, help_text=choice.help, validators=[check])


class PlanForm(forms.Form):
    """What the plan page asks: the cluster, the procedure and the options an operator may choose.

    The procedures and the options come from the catalog (``catalog.PROCEDURES``, ``catalog.options``), so the
    form has no list or rule of its own. Planning a run posts the same fields.
    """

    cluster = forms.ModelChoiceField(queryset=None, label=_("Cluster"))
    procedure = forms.ChoiceField(choices=procedure_choices, label=_("Procedure"))

    def __init__(self, *args, clusters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = clusters
        for name, choice in OPERATOR_CHOICES.items():
            self.fields[name] = _operator_field(choice)

    def options(self) -> dict:
        """The operator's choices as the catalog takes them: every tick box, a text only when filled in."""
        data = self.cleaned_data
        return {name: data.get(name) for name, choice in OPERATOR_CHOICES.items() if choice.flag or data.get(name)}


class ConsoleConfirmForm(forms.Form):
    """A console step's confirmation, as the portal and the admin ask for it.

    One box per checklist item of the plan snapshot, labelled with the value the dialog must show (rendered
    from the inventory when the run was planned). Boxes are not required here: ``services.confirm_step``
    refuses an unticked item by name, the same for every caller, and checks the screenshot by its content.
    """

    checked = forms.MultipleChoiceField(
        label=_("Checklist"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    screenshot = forms.FileField(
        label=_("Screenshot"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    def __init__(self, *args, checklist=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = [item.shown() for item in checklist]
        self.fields["screenshot"].help_text = _("Optional: a PNG or JPEG image of the dialog, at most {mb} MB.").format(
            mb=round(max_bytes() / 1024 / 1024, 1)
        )
        self.fields["checked"].choices = [(i["key"], i["text"]) for i in self.items]


class SignoffRulesForm(forms.Form):
    """A domain's sign-off rules: per kind of four-eyes step the approvers required, per procedure whether a real
    run needs a successful rehearsal first. The fields come from ``FourEyesKind`` and the catalog; the form checks
    the range, ``procedures.signoff_rules`` checks every value again (and the domain's number of approvers)."""

    def __init__(self, *args, quorums: dict[str, int], rehearsals: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in FourEyesKind.choices:
            self.fields[self.quorum_name(kind)] = forms.IntegerField(
                label=label,
                min_value=1,
                max_value=MAX_APPROVERS,
                initial=quorums.get(kind, 1),
                widget=forms.NumberInput(attrs={"min": 1, "max": MAX_APPROVERS, "inputmode": "numeric"}),
            )
        for code, procedure in PROCEDURES.items():
            self.fields[self.rehearsal_name(code)] = forms.BooleanField(
                label=localised(procedure.title), required=False, initial=rehearsals.get(code, False)
            )

    @staticmethod
    def quorum_name(kind: str) -> str:
        return f"quorum_{kind}"

    @staticmethod
    def rehearsal_name(code: str) -> str:
        return f"rehearse_{code}"

    def field_of(self, rule: str) -> str | None:
        """The field of a rule (a kind or a procedure) a refusal names, None when it names none of them."""
        for name in (self.quorum_name(rule), self.rehearsal_name(rule)):
            if name in self.fields:
                return name
        return None

    def quorums(self) -> dict[str, int]:
        return {kind: self.cleaned_data[self.quorum_name(kind)] for kind in FourEyesKind.values}

    def rehearsals(self) -> dict[str, bool]:
        return {code: self.cleaned_data[self.rehearsal_name(code)] for code in PROCEDURES}
