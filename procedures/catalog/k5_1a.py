"""K.5 (1)(a): a new master management server on a two-node cluster (A-01 … A-50, A-N1)."""

from procedures.catalog import steps as s
from procedures.catalog.base import Check, Procedure, text

CODE = "k5-1a"
VERSION = "1.1"  # 1.1: the domain-duty step names the page that shows the duty
TITLE = text("K.5 (1)(a) マスタ管理サーバの新規構築", "K.5 (1)(a) New master management server")
N1, N2 = s.N1, s.N2

CONTROL_SCRIPT_FIRST = s._dev(
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
    s.kp2("a"),
    s.vg_activate("A-01", N2),
    s.mount("A-02", N2),
    s.install_address("A-03", N2),
    s.install_mail("A-04", N2),
    s.check_shared("A-05", N2),
    s.services("A-06", N2),
    s.gm_setup("A-07", N2),
    s.clear_groupmail("A-08", N2),
    s.unmount("A-09", N2),
    s.vg_deactivate("A-10", N2),
    s.vg_activate("A-11", N1),
    s.mount("A-12", N1),
    s.install_address("A-13", N1),
    s.install_mail("A-14", N1),
    s.kp1("a", after="A-13"),
    s.check_shared("A-15", N1),
    s.services("A-16", N1),
    s.gm_setup("A-17", N1, again=True),
    s.db_files(("A-18",), inferred=True),
    s.xodrc_comment("A-19"),
    s.objsv_start("A-20"),
    s.db_setup("A-21"),
    s.objsv_stop("A-22"),
    s.xodrc_restore("A-23"),
    s.xodrc_same("A-24"),
    s.objsv_start("A-25"),
    s.addr_start("A-26"),
    s.adsrvn("A-27"),
    s.addr_stop("A-28"),
    s.objsv_stop("A-29"),
    s.gmp_level("A-30"),
    s.gmp_ips_own("A-31"),
    s.unmount("A-32", N1),
    s.vg_deactivate("A-33", N1),
    s.write_config("A-34", mail="commented", deviation=CONTROL_SCRIPT_FIRST),
    s.copy_script("a", "first"),
    s.confirm_copied("A-35"),
    s.compare_script("a", "first"),
    s.apply_config("a"),
    s.cm_run("A-36"),
    s.check_log("A-37"),
    s.console_start("A-38"),
    s.console_site("A-39"),
    s.console_server("A-40"),
    s.console_mail_settings("A-41"),
    s.console_mail_start("A-42"),
    s.console_stop("A-43"),
    s.mhs_node1("A-44"),
    s.mail_stop_before_halt("a"),
    s.cm_halt(
        "A-45",
        deviation=s._dev(
            "Mail Server を使う場合、直前にメールサーバを停止しておきます（欠陥 13）。",
            "With Mail Server, the mail server is stopped just before (flaw 13).",
        ),
    ),
    s.write_script("A-46"),
    s.copy_script("a", "final", conditions=s.MAIL),
    s.confirm_copied("A-47"),
    s.compare_script("a", "final", conditions=s.MAIL),
    s.cm_run("A-48"),
    s.check_log("A-49"),
    s.switch_to_node2("a"),
    s.mhs_node2("a"),
    s.switch_back("a"),
    s.console_restart("a"),
    s.console(
        "A-50",
        "console_mail_check",
        s.text("運転席でメールサーバの起動を確認", "Check in the console that the mail server runs"),
        s.text(
            "運転席でメールサーバが起動していることを確かめます。起動していれば正常です。",
            "Check in the console that the mail server has started; started means normal.",
        ),
        [
            Check(
                "started",
                s.text("メールサーバが起動中と表示される", "The mail server shows as started"),
                "{package_host}",
            )
        ],
        conditions=s.MAIL,
        deviation=s._dev(
            "K.5 の A-50 には (M) がありませんが、Mail Server を使わなければ意味がないので、Mail Server を"
            "使う場合だけの手順にします（欠陥 14）。",
            "A-50 has no (M) in the source but means nothing "
            "without Mail Server; the plan makes it conditional on Mail Server (flaw 14).",
        ),
    ),
    s.duty("A-N1"),
)

PROCEDURE = Procedure(
    CODE, VERSION, TITLE, "master", STEPS, ("mail_server", "replication_option", "standby_lan", "db_files_precreated")
)
