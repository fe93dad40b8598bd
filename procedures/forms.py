"""Forms of the catalog and of runs: a site's command lines (admin), a plan's options, a console step's confirmation."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clusters import validators as v
from procedures.catalog import commands as settings_registry
from procedures.models import SiteCommandSettings
from procedures.models.evidence import max_bytes

PROCEDURE_CHOICES = (
    ("k5-1a", _("K.5 (1)(a) New master management server")),
    ("k5-1b", _("K.5 (1)(b) New address server")),
    ("k5-2", _("K.5 (2) Converting an existing environment")),
)


class SiteCommandSettingsForm(forms.ModelForm):
    """One field per registry key; an empty field means "use the catalog's default"."""

    class Meta:
        model = SiteCommandSettings
        fields = ("site",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = (self.instance.overrides if self.instance and self.instance.pk else None) or {}
        for key, setting in settings_registry.REGISTRY.items():
            placeholders = ", ".join("{" + p + "}" for p in setting.placeholders)
            help_text = str(setting.help)
            if placeholders:
                help_text += " " + str(_("Placeholders: {names}.")).format(names=placeholders)
            self.fields[key] = forms.CharField(
                label=key,
                required=False,
                initial=stored.get(key, ""),
                help_text=help_text + " " + str(_("Default: {default}")).format(default=setting.default),
                widget=forms.TextInput(attrs={"size": 100, "placeholder": setting.default}),
            )

    def clean(self):
        cleaned = super().clean()
        overrides = {}
        for key in settings_registry.REGISTRY:
            value = (cleaned.get(key) or "").strip()
            if not value or value == settings_registry.REGISTRY[key].default:
                continue
            try:
                settings_registry.validate_value(key, value)
            except ValidationError as exc:
                self.add_error(key, exc)
                continue
            overrides[key] = value
        cleaned["overrides"] = overrides
        return cleaned

    def save(self, commit=True):
        self.instance.overrides = self.cleaned_data.get("overrides", {})
        return super().save(commit=commit)


class PlanForm(forms.Form):
    """What the plan page asks: the cluster, the procedure and the options an operator may choose."""

    cluster = forms.ModelChoiceField(queryset=None, label=_("Cluster"))
    procedure = forms.ChoiceField(choices=PROCEDURE_CHOICES, label=_("Procedure"))
    db_files_precreated = forms.BooleanField(
        required=False,
        label=_("Database files already created on the shared disk"),
        help_text=_("Leaves out A-18 / B-18+B-19."),
    )
    previous_database_directory = forms.CharField(
        required=False,
        label=_("Database directory before the conversion (K.5 (2))"),
        help_text=_("Empty: the same as the cluster's database directory. A different path adds the link of C-19."),
        validators=[v.validate_absolute_path],
    )

    def __init__(self, *args, clusters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = clusters

    def options(self) -> dict:
        data = self.cleaned_data
        options = {"db_files_precreated": bool(data.get("db_files_precreated"))}
        if data.get("previous_database_directory"):
            options["previous_database_directory"] = data["previous_database_directory"]
        return options


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
