"""A site's command lines are "commands", not "settings" (that word means Django's settings): rename, keep the data."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clusters', '0002_history_address'),
        ('procedures', '0003_console_screenshot'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel(old_name='SiteCommandSettings', new_name='SiteCommands'),
        migrations.RenameModel(old_name='HistoricalSiteCommandSettings', new_name='HistoricalSiteCommands'),
        migrations.AlterModelOptions(
            name='sitecommands',
            options={'verbose_name': 'site command lines', 'verbose_name_plural': 'site command lines'},
        ),
        migrations.AlterModelOptions(
            name='historicalsitecommands',
            options={
                'get_latest_by': ('history_date', 'history_id'),
                'ordering': ('-history_date', '-history_id'),
                'verbose_name': 'historical site command lines',
                'verbose_name_plural': 'historical site command lines',
            },
        ),
        migrations.AlterField(
            model_name='sitecommands',
            name='site',
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name='commands',
                to='clusters.site',
                verbose_name='site',
            ),
        ),
    ]
