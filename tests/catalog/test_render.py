"""Rendering the catalog against the inventory: hosts, conditions, success rules, checklists and options."""

import re

import pytest
from django.utils import translation

from clusters.models import GroupmaxServer, Node
from procedures.catalog import CatalogError, render_plan
from procedures.catalog import commands as site_commands
from procedures.exceptions import SiteCommandsBroken
from procedures.models import SiteCommands
from procedures.plan import Plan


def step(plan, key):
    return next(s for s in plan.steps if s.key == key)


def keys(plan):
    return [s.key for s in plan.steps]


def test_a_plan_round_trips_as_json_and_has_a_stable_digest(master_cluster):
    plan = render_plan(master_cluster, "k5-1a")
    again = Plan.from_json(plan.as_json())
    assert again == plan and again.digest == plan.digest == render_plan(master_cluster, "k5-1a").digest
    assert plan.procedure == "k5-1a" and plan.version and plan.cluster_id == master_cluster.pk
    assert plan.options == {
        "mail_server": True,
        "replication_option": False,
        "standby_lan": True,
        "db_files_precreated": False,
    }


def test_steps_run_on_the_node_the_source_names(master_cluster):
    plan = render_plan(master_cluster, "k5-1a")
    node1, node2 = master_cluster.primary, master_cluster.standby
    assert [h.node_id for h in step(plan, "a01.vg_activate").hosts] == [node2.pk]
    assert [h.node_id for h in step(plan, "a11.vg_activate").hosts] == [node1.pk]
    assert [h.node_id for h in step(plan, "a24.xodrc_same").hosts] == [node1.pk, node2.pk]
    assert step(plan, "a34.write_config").target == "cluster"
    assert [h.node_id for h in step(plan, "a34.write_config").hosts] == [node1.pk]
    assert step(plan, "a38.console_start").hosts == () and step(plan, "a35.confirm_copied").hosts == ()


def test_command_lines_are_the_contract_defaults(master_cluster):
    plan = render_plan(master_cluster, "k5-1a")
    assert step(plan, "a01.vg_activate").hosts[0].command == "vgchange -a y vggmax"
    assert (
        step(plan, "a07.gm_setup").hosts[0].command == "/opt/GroupMail/bin/GM_SETUP -t master -s GMAXSCH -u root -g sys"
    )
    assert step(plan, "a27.adsrvn").hosts[0].command == "/opt/GroupMail/bin/adsrvn -n gmaxhost"
    assert step(plan, "a36.cmruncl").hosts[0].command == "cmruncl -v"
    assert step(plan, "a45.cmhaltcl").hosts[0].command == "cmhaltcl -f -v"
    assert step(plan, "a.apply_config").hosts[0].command == (
        "cmcheckconf -C /etc/cmcluster/cluster.ascii -P /etc/cmcluster/gmaxpkg/gmaxpkg.conf && "
        "cmapplyconf -f -C /etc/cmcluster/cluster.ascii -P /etc/cmcluster/gmaxpkg/gmaxpkg.conf"
    )
    assert step(plan, "a09.unmount").hosts[0].command == "umount /OBJSVFILE && umount /var/opt/GroupMail"
    assert "mount /dev/vggmax/lvol1 /var/opt/GroupMail" in step(plan, "a02.mount").hosts[0].command


def test_success_rules(master_cluster, address_cluster):
    plan = render_plan(master_cluster, "k5-1a")
    adsrvn = step(plan, "a27.adsrvn").success
    assert re.search(adsrvn.accept_output, "ドメイン名/ホスト名の配布に失敗しました。")
    assert re.search(step(plan, "a26.addr_start").success.expect_output, "KDAM0001-I Groupmax address service started.")
    log_check = step(plan, "a37.check_log")
    assert "address service started" in log_check.success.expect_output
    assert "/etc/cmcluster/gmaxpkg/control.sh.log" in log_check.hosts[0].command
    assert "Starting package at" in log_check.hosts[0].command  # only the latest start's section is read
    assert re.search(
        step(plan, "a05.check_shared").success.expect_output, "/dev/vggmax/lvol1  4194304 /var/opt/GroupMail"
    )
    nxsrepstat = step(render_plan(address_cluster, "k5-2"), "c41.nxsrepstat")
    assert nxsrepstat.success.exit_codes == (0,)
    assert re.search(nxsrepstat.success.accept_output, "トランザクションレコードなし")
    (host,) = nxsrepstat.hosts  # once, on the master (flaw 18)
    assert host.resolve == "package_owner" and host.package == "gmaxpkg"


def test_sign_off_rerun_and_time_outs(master_cluster, address_cluster):
    plan = render_plan(master_cluster, "k5-1a")
    signed = {s.key for s in plan.steps if s.needs_signoff}
    assert {"a08.clear_groupmail", "a36.cmruncl", "a45.cmhaltcl", "a48.cmruncl", "a.apply_config"} <= signed
    assert "a30.gmpublicinfo_level" not in signed and step(plan, "a30.gmpublicinfo_level").rerunnable
    assert not step(plan, "a36.cmruncl").rerunnable
    assert all(s.timeout_s > 0 for s in plan.steps)
    plan2 = render_plan(address_cluster, "k5-2")
    assert {"c12.clear_groupmail", "c42.remove_groupmail_tmp", "c43.remove_dbdir_tmp", "c25.master_gmpublicinfo"} <= {
        s.key for s in plan2.steps if s.needs_signoff
    }


def test_mail_steps_follow_the_inventory(master_cluster, address_cluster):
    with_mail = render_plan(master_cluster, "k5-1a")
    assert {
        "a04.install_mail",
        "a41.console_mail_settings",
        "a44.mhs_nadr_cfg",
        "a46.write_script_mail",
        "a50.console_mail_check",
        "an1.domain_duty",
    } <= set(keys(with_mail))
    assert with_mail.omitted == ()
    without = render_plan(address_cluster, "k5-1b")
    omitted = {o["key"]: o for o in without.omitted}
    assert {
        "b04.install_mail",
        "b37.console_mail_settings",
        "b41.mhs_nadr_cfg",
        "b42.write_script_mail",
        "b46.mail_servers_mhs",
        "bn1.domain_duty",
    } <= set(omitted)
    assert "flaw 5" in omitted["b42.write_script_mail"]["because"]["en"]  # why the lines stay commented
    assert "(M)" in omitted["b04.install_mail"]["because"]["en"]
    assert "b43.confirm_copied" in keys(without)  # treated like A-47 (flaw 14)


def test_flaw_4_order_and_node_2_check_in_1b(address_cluster):
    server = address_cluster.server
    server.uses_mail_server = True
    server.save()
    order = keys(render_plan(address_cluster, "k5-1b"))
    assert order.index("b41.mhs_nadr_cfg") < order.index("b.mail_stop") < order.index("b40.cmhaltcl")
    assert order.index("b44.cmruncl") < order.index("b.switch_node2") < order.index("b.mhs_nadr_cfg.node2")
    assert order.index("b.mhs_nadr_cfg.node2") < order.index("b.switch_node1")


def test_b46_fans_out_to_every_other_mail_server(address_cluster, master_cluster):
    server = address_cluster.server
    server.uses_mail_server = True
    server.save()
    b46 = step(render_plan(address_cluster, "k5-1b"), "b46.mail_servers_mhs")
    by_label = {h.label: h for h in b46.hosts}
    assert set(by_label) == {
        "gmaxmaster: node running package gmaxpkg", "gmxsv04: node running package convpkg", "mailsv03 (standalone)"
    }  # fmt: skip
    clustered = by_label["gmaxmaster: node running package gmaxpkg"]
    assert clustered.resolve == "package_owner" and len(clustered.candidate_node_ids) == 2
    standalone = by_label["mailsv03 (standalone)"]
    assert standalone.server_id == GroupmaxServer.objects.get(name="mailsv03").pk and standalone.resolve == ""
    assert all(h.command == "/opt/GroupMail/bin/mhs_nadr_cfg TCP OFF" for h in b46.hosts)


def test_c32_starts_every_other_address_server(address_cluster, master_cluster):
    c32 = step(render_plan(master_cluster, "k5-2"), "c32.address_servers_start")
    assert {h.label for h in c32.hosts} == {
        "addsv01: node running package addpkg", "gmxsv04: node running package convpkg", "mailsv03 (standalone)"
    }  # fmt: skip


def test_converting_the_master_itself_edits_its_own_file_on_node_1(master_cluster):
    plan = render_plan(master_cluster, "k5-2")
    c25 = step(plan, "c25.master_gmpublicinfo")
    assert [h.node_id for h in c25.hosts] == [master_cluster.primary.pk] and not c25.locks_master
    assert [h.node_id for h in step(plan, "c41.nxsrepstat").hosts] == [master_cluster.primary.pk]


def test_db_files_precreated_leaves_out_a18_and_b18_19(master_cluster, address_cluster):
    assert "a18.db_files_create" in keys(render_plan(master_cluster, "k5-1a"))
    plan = render_plan(master_cluster, "k5-1a", {"db_files_precreated": True})
    assert "a18.db_files_create" not in keys(plan) and plan.options["db_files_precreated"] is True
    plan = render_plan(address_cluster, "k5-1b", {"db_files_precreated": True})
    assert [o["seed_ids"] for o in plan.omitted if o["key"] == "b18_19.db_files_create"] == [["B-18", "B-19"]]


def test_renamed_database_directory_adds_the_c19_link_on_both_nodes(address_cluster):
    plan = render_plan(address_cluster, "k5-2")
    assert "c19.link_dbdir" not in keys(plan)
    plan = render_plan(address_cluster, "k5-2", {"previous_database_directory": "/database"})
    c19 = step(plan, "c19.link_dbdir")
    assert len(c19.hosts) == 2 and all("ln -s /OBJSVFILE /database" in h.command for h in c19.hosts)
    assert "mv /database /database_tmp" in step(plan, "c04.rename_dbdir").hosts[0].command
    copy = step(plan, "c18.copy_dbdir").hosts[0].command
    assert "cd /database_tmp && { tar -cf - . || echo failed > /var/tmp/k5-copy.failed; } | " in copy
    assert "(cd /OBJSVFILE && tar -xpf -) && test ! -e /var/tmp/k5-copy.failed || " in copy  # sh has no pipefail
    assert "xodrc" in step(plan, "c.xodrc_dbdir.node2").hosts[0].command and "dbdir /database" in copy + str(
        step(plan, "c.xodrc_dbdir.node2").hosts[0].command
    )
    assert "test -d /database" in step(plan, "c00.gate_root").hosts[0].command
    assert step(plan, "c43.remove_dbdir_tmp").hosts[0].command == "rm -rf /database_tmp"
    with pytest.raises(CatalogError):
        render_plan(address_cluster, "k5-2", {"previous_database_directory": "/var/opt/GroupMail"})
    with pytest.raises(CatalogError):
        render_plan(address_cluster, "k5-2", {"previous_database_directory": "/a b"})


def test_c_p_notes_are_listed_but_never_run_in_place(address_cluster):
    plan = render_plan(address_cluster, "k5-2")
    notes = [o for o in plan.omitted if o["seed_ids"] and o["seed_ids"][0].startswith("C-P")]
    assert [o["seed_ids"][0] for o in notes] == ["C-P1", "C-P2", "C-P3", "C-P4"]
    assert all("other path" in o["because"]["en"] for o in notes)
    assert keys(plan)[:2] == ["c.kp2.root", "c00.gate_root"]  # the gate comes before anything changes


def test_console_checklists_carry_inventory_values(master_cluster, address_cluster):
    plan = render_plan(address_cluster, "k5-1b")
    b36 = step(plan, "b36.console_server")
    assert b36.kind == "console" and b36.checklist[0].expected == "addpkg"
    assert "gmx2a" in b36.checklist[1].expected  # "not the node's host name"
    a41 = step(render_plan(master_cluster, "k5-1a"), "a41.console_mail_settings")
    assert a41.checklist[0].expected == "gmaxhost" and "mail server" in a41.checklist[0].label["en"]
    c35 = step(render_plan(address_cluster, "k5-2"), "c35.console_change_host")
    assert [c.expected for c in c35.checklist] == ["gmx2a", "addpkg"]


def test_the_procedure_must_fit_the_servers_role(master_cluster, address_cluster):
    with pytest.raises(CatalogError):
        render_plan(address_cluster, "k5-1a")
    with pytest.raises(CatalogError):
        render_plan(master_cluster, "k5-1b")
    with pytest.raises(CatalogError):
        render_plan(master_cluster, "k5-9")


def test_an_address_server_needs_a_master_in_its_domain(address_cluster):
    GroupmaxServer.objects.filter(role="master").update(role="address")
    with pytest.raises(CatalogError, match="master"):
        render_plan(address_cluster, "k5-1b")


def test_a_single_lan_gives_one_record_per_node(address_cluster):
    assert not render_plan(address_cluster, "k5-1b").options["standby_lan"]
    Node.objects.filter(cluster=address_cluster, position=1).update(standby_ip="127.0.21.1")
    plan = render_plan(address_cluster, "k5-1b")
    assert plan.options["standby_lan"]
    assert step(plan, "b27.master_gmpublicinfo").artefacts[0].content.splitlines() == [
        "127.0.20.1=addpkg",
        "127.0.20.2=addpkg",
        "127.0.21.1=addpkg",
    ]


def test_site_overrides_change_the_command_lines(master_cluster):
    site = master_cluster.server.domain.site
    SiteCommands.objects.create(
        site=site, overrides={"vg_activate": "vgchange -a y -q n {vg}", "sw_depot": "/depot/gmax", "retired_key": "x"}
    )
    plan = render_plan(master_cluster, "k5-1a")
    assert step(plan, "a01.vg_activate").hosts[0].command == "vgchange -a y -q n vggmax"
    assert "swinstall -s /depot/gmax GMAX-ADDRESS" in step(plan, "a03.install_address").hosts[0].command
    assert site_commands.effective({"unknown": "x"}) == site_commands.defaults()


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"vg_activate": "vgchange -a y {volume}"}, "{volume}"),  # a placeholder the line does not know
        ({"sw_depot": "relative/depot"}, "sw_depot"),  # a path that is not absolute
        ({"vg_activate": 7}, "vg_activate"),  # not a line of text
        (["vg_activate"], "mapping"),  # not a mapping at all
    ],
)
def test_a_broken_site_override_is_an_error_never_the_defaults(master_cluster, overrides, named):
    """Planning with other commands than the site stored would be worse than not planning."""
    site = master_cluster.server.domain.site
    SiteCommands.objects.create(site=site, overrides=overrides)
    with translation.override("en"), pytest.raises(SiteCommandsBroken, match=re.escape(named)) as raised:
        render_plan(master_cluster, "k5-1a")
    assert raised.value.status == 400 and str(site) in str(raised.value)
