"""K.5 (1)(a): a new master management server on a two-node cluster (A-01 … A-50, A-N1)."""

from procedures.catalog import steps
from procedures.catalog.base import Check, Procedure, text

CODE = "k5-1a"
VERSION = "1.1"  # 1.1: the domain-duty step names the page that shows the duty
TITLE = text("K.5 (1)(a) マスタ管理サーバの新規構築", "K.5 (1)(a) New master management server")
NODE1, NODE2 = steps.NODE1, steps.NODE2

CONTROL_SCRIPT_FIRST = steps._dev(
    "制御スクリプトの APSTART・APSTOP と mailSV の [1] 行はこの段階ではコメントにします。[1] の前に、アドレス"
    "サービスを監視する [0] 行（addrSV）を置きます（欠陥 16）。K.5 の SERVICE_RESTERT の綴りと全角の引用符は写さず、"
    "SERVICE_RESTART と ASCII の引用符で書きます（欠陥 1、10）。パッケージ名は常にインベントリの値です。"
    "Mail Server を使わないサーバでは、これらの行は後でも有効にしません（欠陥 5）。",
    "At this stage the APSTART, APSTOP and mailSV [1] lines of the control script are comments. Entry [0] (addrSV, "
    "the address service's monitor) precedes [1] (flaw 16). The source's SERVICE_RESTERT and typographic quotes are "
    "not copied: SERVICE_RESTART with ASCII quotes (flaws 1 and 10). The package name always comes from the "
    "inventory. Without Mail Server these lines stay comments later too (flaw 5).",
)

STEPS = (
    steps.kp2("a"),
    steps.vg_activate("A-01", NODE2),
    steps.mount("A-02", NODE2),
    steps.install_address("A-03", NODE2),
    steps.install_mail("A-04", NODE2),
    steps.check_shared("A-05", NODE2),
    steps.services("A-06", NODE2),
    steps.gm_setup("A-07", NODE2),
    steps.clear_groupmail("A-08", NODE2),
    steps.unmount("A-09", NODE2),
    steps.vg_deactivate("A-10", NODE2),
    steps.vg_activate("A-11", NODE1),
    steps.mount("A-12", NODE1),
    steps.install_address("A-13", NODE1),
    steps.install_mail("A-14", NODE1),
    steps.kp1("a", after="A-13"),
    steps.check_shared("A-15", NODE1),
    steps.services("A-16", NODE1),
    steps.gm_setup("A-17", NODE1, again=True),
    steps.db_files(("A-18",), inferred=True),
    steps.xodrc_comment("A-19"),
    steps.objsv_start("A-20"),
    steps.db_setup("A-21"),
    steps.objsv_stop("A-22"),
    steps.xodrc_restore("A-23"),
    steps.xodrc_same("A-24"),
    steps.objsv_start("A-25"),
    steps.addr_start("A-26"),
    steps.adsrvn("A-27"),
    steps.addr_stop("A-28"),
    steps.objsv_stop("A-29"),
    steps.gmp_level("A-30"),
    steps.gmp_ips_own("A-31"),
    steps.unmount("A-32", NODE1),
    steps.vg_deactivate("A-33", NODE1),
    steps.write_config("A-34", mail="commented", deviation=CONTROL_SCRIPT_FIRST),
    steps.copy_script("a", "first"),
    steps.confirm_copied("A-35"),
    steps.compare_script("a", "first"),
    steps.apply_config("a"),
    steps.cm_run("A-36"),
    steps.check_log("A-37"),
    steps.console_start("A-38"),
    steps.console_site("A-39"),
    steps.console_server("A-40"),
    steps.console_mail_settings("A-41"),
    steps.console_mail_start("A-42"),
    steps.console_stop("A-43"),
    steps.mhs_node1("A-44"),
    steps.mail_stop_before_halt("a"),
    steps.cm_halt(
        "A-45",
        deviation=steps._dev(
            "Mail Server を使う場合、直前にメールサーバを停止しておきます（欠陥 13）。",
            "With Mail Server, the mail server is stopped just before (flaw 13).",
        ),
    ),
    steps.write_script("A-46"),
    steps.copy_script("a", "final", conditions=steps.MAIL),
    steps.confirm_copied("A-47"),
    steps.compare_script("a", "final", conditions=steps.MAIL),
    steps.cm_run("A-48"),
    steps.check_log("A-49"),
    steps.switch_to_node2("a"),
    steps.mhs_node2("a"),
    steps.switch_back("a"),
    steps.console_restart("a"),
    steps.console(
        "A-50",
        "console_mail_check",
        steps.text("運転席でメールサーバの起動を確認", "Check in the console that the mail server runs"),
        steps.text(
            "運転席でメールサーバが起動していることを確かめます。起動していれば正常です。",
            "Check in the console that the mail server has started; started means normal.",
        ),
        [
            Check(
                "started",
                steps.text("メールサーバが起動中と表示される", "The mail server shows as started"),
                "{package_host}",
            )
        ],
        conditions=steps.MAIL,
        deviation=steps._dev(
            "K.5 の A-50 には (M) がありませんが、Mail Server を使わなければ意味がないので、Mail Server を"
            "使う場合だけの手順にします（欠陥 14）。",
            "A-50 has no (M) in the source but means nothing "
            "without Mail Server; the plan makes it conditional on Mail Server (flaw 14).",
        ),
    ),
    steps.duty("A-N1"),
)

PROCEDURE = Procedure(
    CODE, VERSION, TITLE, "master", STEPS, ("mail_server", "replication_option", "standby_lan", "db_files_precreated")
)
