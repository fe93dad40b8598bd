"""K.5 (1)(b): a new address server on a two-node cluster (B-01 … B-46, B-N1)."""

from procedures.catalog import steps
from procedures.catalog.base import Procedure, text
from procedures.catalog.k5_1a import CONTROL_SCRIPT_FIRST

CODE = "k5-1b"
VERSION = "1.1"  # 1.1: the domain-duty step names the page that shows the duty
TITLE = text("K.5 (1)(b) アドレスサーバの新規構築", "K.5 (1)(b) New address server")
NODE1, NODE2 = steps.NODE1, steps.NODE2

STEPS = (
    steps.kp2("b"),
    steps.vg_activate("B-01", NODE2),
    steps.mount("B-02", NODE2),
    steps.install_address("B-03", NODE2),
    steps.install_mail("B-04", NODE2),
    steps.check_shared("B-05", NODE2),
    steps.services("B-06", NODE2),
    steps.gm_setup("B-07", NODE2),
    steps.clear_groupmail("B-08", NODE2),
    steps.unmount("B-09", NODE2),
    steps.vg_deactivate("B-10", NODE2),
    steps.vg_activate("B-11", NODE1),
    steps.mount("B-12", NODE1),
    steps.install_address("B-13", NODE1),
    steps.install_mail("B-14", NODE1),
    steps.kp1("b", after="B-13"),
    steps.check_shared("B-15", NODE1),
    steps.services("B-16", NODE1),
    steps.gm_setup("B-17", NODE1, again=True),
    steps.db_files(
        ("B-18", "B-19"),
        deviation=steps._dev(
            "K.5 の B-18 と B-19 は同じことを 2 回述べているので、条件付きの 1 手順にまとめます（欠陥 3）。B-18 の"
            "「ノード2で作成しても問題はありません」は、この時点ではノード2 がボリュームグループを手放しているため"
            "従えず、ノード1 だけで行います（欠陥 15）。",
            "B-18 and B-19 say the same thing twice; the plan makes them one conditional step (flaw 3). B-18's "
            "'creating them on node 2 is also fine' cannot be followed here, because node 2 has given up the volume "
            "group; the step runs on node 1 only (flaw 15).",
        ),
    ),
    steps.xodrc_comment("B-20"),
    steps.objsv_start("B-21"),
    steps.db_setup("B-22"),
    steps.objsv_stop("B-23"),
    steps.xodrc_restore("B-24"),
    steps.xodrc_same("B-25"),
    steps.gmp_level("B-26"),
    steps.gmp_ips_master("B-27"),
    steps.unmount("B-28", NODE1),
    steps.vg_deactivate("B-29", NODE1),
    steps.write_config("B-30", mail="commented", deviation=CONTROL_SCRIPT_FIRST),
    steps.copy_script("b", "first"),
    steps.confirm_copied("B-31"),
    steps.compare_script("b", "first"),
    steps.apply_config("b"),
    steps.cm_run("B-32"),
    steps.check_log("B-33"),
    steps.console_start("B-34"),
    steps.console_site("B-35", if_needed=True),
    steps.console_server("B-36"),
    steps.console_mail_settings("B-37"),
    steps.console_mail_start("B-38"),
    steps.console_stop("B-39"),
    steps.mhs_node1(
        "B-41",
        deviation=steps._dev(
            "K.5 (1)(b) はクラスタ停止（B-40）の後で "
            "mhs_nadr_cfg（B-41）を実行しますが、そのときノード1 は共有ディスクを"
            "マウントしていません。欠陥 4 の推奨どおり (1)(a) "
            "と同じ順にし、パッケージがノード1 で動いている間に B-40 の"
            "前で実行します。",
            "K.5 (1)(b) runs mhs_nadr_cfg (B-41) after stopping the cluster (B-40), when node 1 no longer has the "
            "shared disk mounted. As flaw 4 recommends, the plan uses the order of (1)(a): it runs B-41 before B-40, "
            "while the package is up on node 1.",
        ),
    ),
    steps.mail_stop_before_halt("b"),
    steps.cm_halt(
        "B-40",
        deviation=steps._dev(
            "mhs_nadr_cfg（B-41）の後に移しました（欠陥 4）。Mail Server を使う場合は直前にメールサーバを停止します"
            "（欠陥 13）。",
            "Moved after mhs_nadr_cfg (B-41) (flaw 4). With Mail Server the mail server is stopped just before "
            "(flaw 13).",
        ),
    ),
    steps.write_script("B-42"),
    steps.copy_script("b", "final", conditions=steps.MAIL),
    steps.confirm_copied(
        "B-43",
        deviation=steps._dev(
            "K.5 は B-43 に (M) を付け、同じ確認の A-47 には付けていません（欠陥 14）。コピーの確認は害がないので、"
            "A-47 と同じく常に行います。",
            "The source marks B-43 (M) but not the identical A-47 (flaw 14). The copy check is harmless, so the plan "
            "does it always, like A-47.",
        ),
    ),
    steps.compare_script("b", "final", conditions=steps.MAIL),
    steps.cm_run("B-44"),
    steps.check_log("B-45"),
    steps.switch_to_node2("b"),
    steps.mhs_node2("b"),
    steps.switch_back("b"),
    steps.mail_servers_mhs("B-46"),
    steps.duty("B-N1"),
)

PROCEDURE = Procedure(
    CODE, VERSION, TITLE, "address", STEPS, ("mail_server", "replication_option", "standby_lan", "db_files_precreated")
)
