"""K.5 (1)(b): a new address server on a two-node cluster (B-01 … B-46, B-N1)."""

from procedures.catalog import steps as s
from procedures.catalog.base import Procedure, text
from procedures.catalog.k5_1a import CONTROL_SCRIPT_FIRST

CODE = "k5-1b"
VERSION = "1.1"  # 1.1: the domain-duty step names the page that shows the duty
TITLE = text("K.5 (1)(b) アドレスサーバの新規構築", "K.5 (1)(b) New address server")
N1, N2 = s.N1, s.N2

STEPS = (
    s.kp2("b"),
    s.vg_activate("B-01", N2),
    s.mount("B-02", N2),
    s.install_address("B-03", N2),
    s.install_mail("B-04", N2),
    s.check_shared("B-05", N2),
    s.services("B-06", N2),
    s.gm_setup("B-07", N2),
    s.clear_groupmail("B-08", N2),
    s.unmount("B-09", N2),
    s.vg_deactivate("B-10", N2),
    s.vg_activate("B-11", N1),
    s.mount("B-12", N1),
    s.install_address("B-13", N1),
    s.install_mail("B-14", N1),
    s.kp1("b", after="B-13"),
    s.check_shared("B-15", N1),
    s.services("B-16", N1),
    s.gm_setup("B-17", N1, again=True),
    s.db_files(
        ("B-18", "B-19"),
        deviation=s._dev(
            "K.5 の B-18 と B-19 は同じことを 2 回述べているので、条件付きの 1 手順にまとめます（欠陥 3）。B-18 の"
            "「ノード2で作成しても問題はありません」は、この時点ではノード2 がボリュームグループを手放しているため"
            "従えず、ノード1 だけで行います（欠陥 15）。",
            "B-18 and B-19 say the same thing twice; the plan makes them one conditional step (flaw 3). B-18's "
            "'creating them on node 2 is also fine' cannot be followed here, because node 2 has given up the volume "
            "group; the step runs on node 1 only (flaw 15).",
        ),
    ),
    s.xodrc_comment("B-20"),
    s.objsv_start("B-21"),
    s.db_setup("B-22"),
    s.objsv_stop("B-23"),
    s.xodrc_restore("B-24"),
    s.xodrc_same("B-25"),
    s.gmp_level("B-26"),
    s.gmp_ips_master("B-27"),
    s.unmount("B-28", N1),
    s.vg_deactivate("B-29", N1),
    s.write_config("B-30", mail="commented", deviation=CONTROL_SCRIPT_FIRST),
    s.copy_script("b", "first"),
    s.confirm_copied("B-31"),
    s.compare_script("b", "first"),
    s.apply_config("b"),
    s.cm_run("B-32"),
    s.check_log("B-33"),
    s.console_start("B-34"),
    s.console_site("B-35", if_needed=True),
    s.console_server("B-36"),
    s.console_mail_settings("B-37"),
    s.console_mail_start("B-38"),
    s.console_stop("B-39"),
    s.mhs_node1(
        "B-41",
        deviation=s._dev(
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
    s.mail_stop_before_halt("b"),
    s.cm_halt(
        "B-40",
        deviation=s._dev(
            "mhs_nadr_cfg（B-41）の後に移しました（欠陥 4）。Mail Server を使う場合は直前にメールサーバを停止します"
            "（欠陥 13）。",
            "Moved after mhs_nadr_cfg (B-41) (flaw 4). With Mail Server the mail server is stopped just before "
            "(flaw 13).",
        ),
    ),
    s.write_script("B-42"),
    s.copy_script("b", "final", conditions=s.MAIL),
    s.confirm_copied(
        "B-43",
        deviation=s._dev(
            "K.5 は B-43 に (M) を付け、同じ確認の A-47 には付けていません（欠陥 14）。コピーの確認は害がないので、"
            "A-47 と同じく常に行います。",
            "The source marks B-43 (M) but not the identical A-47 (flaw 14). The copy check is harmless, so the plan "
            "does it always, like A-47.",
        ),
    ),
    s.compare_script("b", "final", conditions=s.MAIL),
    s.cm_run("B-44"),
    s.check_log("B-45"),
    s.switch_to_node2("b"),
    s.mhs_node2("b"),
    s.switch_back("b"),
    s.mail_servers_mhs("B-46"),
    s.duty("B-N1"),
)

PROCEDURE = Procedure(
    CODE, VERSION, TITLE, "address", STEPS, ("mail_server", "replication_option", "standby_lan", "db_files_precreated")
)
