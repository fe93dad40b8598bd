"""K.5 (2): turning an existing Address Server / Mail Server environment into a cluster.

C-00 is the gate (only an environment whose system administrator is root is converted in place);
C-P1 … C-P4 are notes for the other path and never part of an in-place plan; C-01 … C-43, C-N1 follow.
"""

from procedures.catalog import steps
from procedures.catalog.base import Check, Kind, Procedure, Step, Target, text
from procedures.choices import FourEyesKind

CODE = "k5-2"
VERSION = "1.3"  # 1.3: the English names the console's buttons in English; 1.2: C-00 proves the previous directory;
# node 2's xodrc names it; copies fail on a read error
TITLE = text("K.5 (2) 既存環境のクラスタ化", "K.5 (2) Converting an existing environment to a cluster")
NODE1, NODE2, BOTH = steps.NODE1, steps.NODE2, steps.BOTH
MIGRATION = ("migration_path",)
_dev = steps._dev

STEPS = (
    steps.kp2("c"),
    Step(
        "c00.gate_root",
        ("C-00",),
        Kind.CHECK,
        NODE1,
        text(
            "関門: 既存環境のシステム管理者が root であること", "Gate: the existing environment's administrator is root"
        ),
        text(
            "既存のマシン（ノード1 になる）で、既存環境のファイルがすべて root の所有であること、つまりシステム"
            "管理者が root であることを確かめます。失敗した場合はこの計画を中止し、(1) で新しいクラスタ環境を構築"
            "して既存のデータを移行してください（C-P1〜C-P4 の注意に従います）。",
            "On the existing machine (it becomes node 1), check that every file of the existing environment belongs "
            "to root, i.e. its system administrator is root. If not, abandon this plan: build a new cluster "
            "environment with (1) and migrate the data into it, observing C-P1 … C-P4.",
        ),
        action="gate_root",
        rerunnable=True,
        timeout_s=600,
    ),
    Step(
        "cp1.backup_env",
        ("C-P1",),
        Kind.COMMAND,
        NODE1,
        text("移行時の注意: GM_ENV と nxcenvfile を退避", "Migration note: back up GM_ENV and nxcenvfile"),
        text(
            "クラスタ環境で新規に導入・設定した後、/var/opt/GroupMail/nxcdir の GM_ENV と nxcenvfile を退避します。",
            "After the new installation and set-up in the cluster environment, back up GM_ENV and nxcenvfile of "
            "/var/opt/GroupMail/nxcdir.",
        ),
        conditions=MIGRATION,
        inferred=True,
    ),
    Step(
        "cp2.restore_env",
        ("C-P2",),
        Kind.COMMAND,
        NODE1,
        text("移行時の注意: 退避したファイルを戻す", "Migration note: restore the backed-up files"),
        text(
            "既存環境のデータを移行した後、C-P1 で退避したファイルを元に戻します。",
            "After migrating the existing environment's data, put back the files saved in C-P1.",
        ),
        conditions=MIGRATION,
        inferred=True,
    ),
    Step(
        "cp3.chown_root",
        ("C-P3",),
        Kind.COMMAND,
        BOTH,
        text("移行時の注意: 所有者を root に変更", "Migration note: make root the owner"),
        text(
            "インストールディレクトリ配下のすべてのディレクトリとファイルの所有者を root:sys に変更します。"
            "インストールディレクトリがシンボリックリンクなら find に -follow を付けます。",
            "Give every directory and file under the installation directories the owner root:sys; when an "
            "installation directory is a symbolic link, let find follow it.",
        ),
        conditions=MIGRATION,
        inferred=True,
    ),
    Step(
        "cp4.check_owner",
        ("C-P4",),
        Kind.CHECK,
        BOTH,
        text("移行時の注意: 所有者が root になったことの確認", "Migration note: check that root owns everything"),
        text(
            "所有者が root になったことを確かめ、なっていなければシンボリックリンクなどを調べて C-P3 をやり直します。",
            "Check that root now owns everything; if not, look at symbolic links and the like and repeat C-P3.",
        ),
        conditions=MIGRATION,
        inferred=True,
    ),
    Step(
        "c.mail_stop_first",
        (),
        Kind.COMMAND,
        NODE1,
        text("メールサーバを停止", "Stop the mail server"),
        text(
            "/var/opt/GroupMail を移動する前に、既存環境のメールサーバを停止します。",
            "Stop the existing environment's mail server before /var/opt/GroupMail is moved away.",
        ),
        action="mail_stop",
        conditions=steps.MAIL,
        timeout_s=600,
        deviation=_dev(
            "K.5 の C-01 はメールサーバの停止に触れていませんが、C-03 でその下のディレクトリを移動します"
            "（欠陥 13）。追加した手順です。",
            "C-01 does not mention the mail server, yet C-03 moves the "
            "directory under it (flaw 13); this step is added.",
        ),
    ),
    Step(
        "c01.stop_services",
        ("C-01",),
        Kind.COMMAND,
        NODE1,
        text("アドレスサービスと Object Server を停止", "Stop the address service and Object Server"),
        text(
            "既存環境のアドレスサービスを停止し、続けて Object Server を停止します。",
            "Stop the existing environment's address service, then Object Server.",
        ),
        action="stop_addr_objsv",
        timeout_s=900,
    ),
    Step(
        "c02.backup",
        ("C-02",),
        Kind.COMMAND,
        NODE1,
        text("環境をバックアップ", "Back up the environment"),
        text(
            "サイトのバックアップ手順（「15.2 バックアップ」）で Address Server / Mail Server の環境を退避します。",
            'Back up the Address Server / Mail Server environment with the site\'s procedure ("15.2 Backup").',
        ),
        action="backup",
        timeout_s=7200,
    ),
    Step(
        "c03.rename_groupmail",
        ("C-03",),
        Kind.COMMAND,
        NODE1,
        text("/var/opt/GroupMail を GroupMail_tmp に改名", "Rename /var/opt/GroupMail to GroupMail_tmp"),
        text(
            "/var/opt/GroupMail を /var/opt/GroupMail_tmp に改名します。改名先が既にあれば何もせず失敗します。",
            "Rename /var/opt/GroupMail to /var/opt/GroupMail_tmp; if the new name exists already, nothing is "
            "changed and the step fails.",
        ),
        action="rename_groupmail",
        timeout_s=300,
    ),
    Step(
        "c04.rename_dbdir",
        ("C-04",),
        Kind.COMMAND,
        NODE1,
        text("データベースファイルのディレクトリを改名", "Rename the database file directory"),
        text(
            "移行前のデータベースファイルディレクトリ（オプションの値）の名前に _tmp を付けます。",
            "Add _tmp to the name of the database file directory used before the conversion (an option of the plan).",
        ),
        action="rename_dbdir",
        varies_with=("previous_database_directory",),
        timeout_s=300,
    ),
    Step(
        "c05.disk_layout",
        ("C-05",),
        Kind.CONFIRM,
        Target.CLUSTER,
        text("共有ディスクの構成を作成", "Create the shared disk layout"),
        text(
            "「2.1 物理ボリューム、論理ボリューム、ボリュームグループの設定」に従って共有ディスクを構成し、インベントリ"
            "のボリュームグループと論理ボリュームがそのとおりであることを確認します。",
            'Lay out the shared disk as "2.1 Physical volume, logical volume and volume group settings" says and '
            "confirm that it matches the volume group and logical volumes of the inventory.",
        ),
        checklist=(Check("vg", text("ボリュームグループ", "Volume group"), "/dev/{vg}"),),
        rerunnable=True,
    ),
    steps.vg_activate("C-06", NODE2),
    steps.mount("C-07", NODE2),
    steps.install_address(
        "C-08",
        NODE2,
        deviation=_dev(
            "K.5 の C-08 は Replication Option に触れていませんが、A-03 と同じく使う場合は同時に導入します"
            "（欠陥 11）。",
            "C-08 does not mention Replication Option; like A-03, the plan installs it too when it is used (flaw 11).",
        ),
    ),
    steps.install_mail("C-09", NODE2),
    steps.check_shared("C-10", NODE2),
    steps.kp1("c", after="C-08"),
    Step(
        "c.services.node2",
        (),
        Kind.EDIT,
        NODE2,
        text("ノード2 の /etc/services にポート番号を設定", "Add the ports to /etc/services on node 2"),
        text(
            "ノード1（既存環境）と同じ Address Server / Mail "
            "Server のサービス行をノード2 の /etc/services に追記します。",
            "Add the same Address Server / Mail Server service lines as on node 1 (the existing machine) to "
            "node 2's /etc/services.",
        ),
        action="services",
        varies_with=("mail_server",),
        rerunnable=True,
        timeout_s=60,
        deviation=_dev(
            "K.5 (2) にはノード2 の /etc/services の手順がありません（欠陥 8）。追加した手順です。",
            "Procedure (2) never sets the ports on node 2 (flaw 8); this step is added.",
        ),
    ),
    steps.gm_setup("C-11", NODE2, again=True),
    steps.clear_groupmail("C-12", NODE2),
    steps.unmount("C-13", NODE2),
    steps.vg_deactivate("C-14", NODE2),
    steps.vg_activate("C-15", NODE1),
    steps.mount(
        "C-16",
        NODE1,
        deviation=_dev(
            "C-03 で /var/opt/GroupMail を改名したため、"
            "マウントポイントを作り直してからマウントします（K.5 には書かれて"
            "いません）。",
            "C-03 renamed /var/opt/GroupMail away, so the mount point is created again before mounting "
            "(not stated in K.5).",
        ),
    ),
    Step(
        "c17.copy_groupmail",
        ("C-17",),
        Kind.COMMAND,
        NODE1,
        text("GroupMail_tmp の内容を共有ディスクへコピー", "Copy GroupMail_tmp onto the shared disk"),
        text(
            "/var/opt/GroupMail_tmp の内容を共有ディスク上の /var/opt/GroupMail へ、所有者・モード・リンクを保ったまま"
            "コピーします。",
            "Copy the contents of /var/opt/GroupMail_tmp into /var/opt/GroupMail on the shared disk, keeping owners, "
            "modes and links.",
        ),
        action="copy_groupmail",
        timeout_s=7200,
        deviation=_dev(
            "所有者・モード・リンクを保つコピー（tar）にします（K.5 には書かれていません）。",
            "The copy keeps owners, modes and links (tar); K.5 does not say so.",
        ),
    ),
    Step(
        "c18.copy_dbdir",
        ("C-18",),
        Kind.COMMAND,
        NODE1,
        text("データベースファイルを共有ディスクへコピー", "Copy the database files onto the shared disk"),
        text(
            "改名したデータベースファイルディレクトリの内容を、共有ディスク上のデータベースファイルディレクトリへ、"
            "所有者・モード・リンクを保ったままコピーします。",
            "Copy the renamed database file directory into the shared disk's database file directory, keeping "
            "owners, modes and links.",
        ),
        action="copy_dbdir",
        varies_with=("previous_database_directory",),
        timeout_s=7200,
        deviation=_dev(
            "所有者・モード・リンクを保つコピー（tar）にします（K.5 には書かれていません）。",
            "The copy keeps owners, modes and links (tar); K.5 does not say so.",
        ),
    ),
    Step(
        "c19.link_dbdir",
        ("C-19",),
        Kind.COMMAND,
        BOTH,
        text("旧データベースディレクトリへのシンボリックリンク", "Link the old database directory path"),
        text(
            "共有ディスクのデータベースファイルディレクトリが移行前と違う名前なら、移行前のパスから共有ディスクの"
            "ディレクトリへのシンボリックリンクを両ノードに作ります。",
            "When the shared disk's database directory has another name than before, make the old path a symbolic "
            "link to it on both nodes.",
        ),
        action="link_dbdir",
        conditions=("database_directory_renamed",),
        rerunnable=True,
        timeout_s=120,
        inferred=True,
        deviation=_dev(
            "K.5 はノードを書いていません。リンクは各ノードのローカルディスクにあり、フェイルオーバ後は"
            "ノード2 が Object Server を動かすので、両ノードに作ります（欠陥 9）。",
            "The source names no node. The link lives on each node's local disk and node 2 runs Object "
            "Server after a failover, so the plan makes it on both nodes (flaw 9).",
        ),
    ),
    Step(
        "c.xodrc_dbdir.node2",
        (),
        Kind.EDIT,
        NODE2,
        text(
            "ノード2 の xodrc のデータベースディレクトリをノード1 に合わせる", "Align node 2's xodrc database directory"
        ),
        text(
            "C-08 で新たに導入したノード2 の Object Server の xodrc は共有ディスクのディレクトリを指しています。"
            "データベースファイルは移行前のディレクトリで作られたため、ノード1 と同じく移行前のパス（C-19 の"
            "リンク）を dbdir に書きます。",
            "Node 2's Object Server, freshly installed at C-08, names the shared disk's directory in xodrc. The "
            "database files were made in the previous directory, so node 2's dbdir names the previous path (C-19's "
            "link), as node 1's does.",
        ),
        action="xodrc_dbdir",
        conditions=("database_directory_renamed",),
        varies_with=("previous_database_directory",),
        rerunnable=True,
        timeout_s=60,
        deviation=_dev(
            "K.5 (2) はノード2 の Object Server の設定をノード1 に合わせません（欠陥 9）。"
            "合わせないとフェイルオーバ後にノード2 で Object Server が起動しません。追加した手順です。",
            "Procedure (2) never aligns node 2's Object Server with node 1's (flaw 9); without it Object Server "
            "does not start on node 2 after a failover. This step is added.",
        ),
    ),
    steps.xodrc_same(
        "",
        key="c.xodrc_same",
        deviation=_dev(
            "K.5 (2) には A-24/B-25 にあたる xodrc "
            "を両ノードで揃える手順がありません（欠陥 9）。ノード2 の Object Server は"
            "C-08 で新たに導入されたものです。追加した手順です。",
            "Procedure (2) lacks A-24/B-25's step that makes xodrc the same on both nodes (flaw 9), although node 2's "
            "Object Server was freshly installed at C-08; this step is added.",
        ),
    ),
    Step(
        "c.services.check",
        (),
        Kind.CHECK,
        BOTH,
        text("両ノードの /etc/services の確認", "Check /etc/services on both nodes"),
        text(
            "両ノードの /etc/services に Address Server / Mail Server の行が同じポートであることを確かめます。",
            "Check that both nodes' /etc/services have the Address Server / Mail Server lines with the same ports.",
        ),
        action="services_check",
        varies_with=("mail_server",),
        rerunnable=True,
        timeout_s=60,
        deviation=_dev("欠陥 8 への対応として追加した確認です。", "Added for flaw 8."),
    ),
    steps.objsv_start("C-20"),
    steps.addr_start("C-21"),
    steps.addr_stop("C-22"),
    steps.objsv_stop("C-23"),
    steps.gmp_level("C-24"),
    steps.gmp_ips_master("C-25"),
    steps.unmount("C-26", NODE1),
    steps.vg_deactivate("C-27", NODE1),
    steps.write_config(
        "C-28",
        mail="inventory",
        deviation=_dev(
            "C-28 はコメントにする行を指定しませんが、Mail Server を使わない環境では APSTART・APSTOP・mlstatp の行は"
            "コメントのままにします（欠陥 5）。アドレスサービスを監視する [0] "
            "行を置き（欠陥 16）、SERVICE_RESTART と ASCII の"
            "引用符で書きます（欠陥 1、10）。",
            "C-28 asks for no comment lines; in an environment without "
            "Mail Server the APSTART, APSTOP and mlstatp lines "
            "stay comments (flaw 5). Entry [0] monitors the address "
            "service (flaw 16); SERVICE_RESTART and ASCII quotes "
            "(flaws 1 and 10).",
        ),
    ),
    steps.copy_script("c", "first"),
    steps.confirm_copied("C-29"),
    steps.compare_script("c", "first"),
    steps.apply_config("c"),
    steps.cm_run("C-30"),
    steps.check_log("C-31"),
    Step(
        "c32.address_servers_start",
        ("C-32",),
        Kind.COMMAND,
        Target.ADDRESS_SERVERS,
        text("ドメインの全アドレスサーバでアドレスサービスを起動", "Start the address service on every address server"),
        text(
            "アドレス管理ドメインのほかのすべてのアドレスサーバでアドレスサービスを起動します（クラスタならパッケージが"
            "動いているノードで）。既に動いているサーバは、その旨の出力で失敗することがあります。",
            "Start the address service on every other address server of the domain (on the node running the "
            "package for a clustered one). A server where it already runs may fail saying so.",
        ),
        action="addr_start",
        timeout_s=600,
    ),
    steps.console_start("C-33"),
    steps.console(
        "C-34",
        "console_select",
        text("サーバ一覧で対象サーバを選び［変更］", "Select the server and choose Change"),
        text(
            "［サーバ一覧］ダイアログで、クラスタ化するサーバを選び［変更］を選びます。",
            "In the Server List dialog, select the server being clustered and choose Change.",
        ),
        [
            Check(
                "selected",
                text("選んだサーバの現在のホスト名（ノード1）", "Selected server's current host name (node 1)"),
                "{node1_host}",
            )
        ],
    ),
    steps.console(
        "C-35",
        "console_change_host",
        text("ホスト名をパッケージ名に変更", "Replace the host name by the package host"),
        text(
            "［サーバ追加/変更］ダイアログで、ノード1 のドメイン名/ホスト名を消し、"
            "Groupmax パッケージのドメイン名または"
            "ホスト名を入力します。",
            "In the Server Add/Change dialog, erase node 1's domain/host name and enter the Groupmax package's domain "
            "or host name.",
        ),
        [
            Check(
                "erased", text("消した値（ノード1 のホスト名）", "Value erased (node 1's host name)"), "{node1_host}"
            ),
            Check(
                "entered",
                text("ドメイン名/ホスト名 欄 = パッケージ名", "Domain name/host name field = the package host"),
                "{package_host}",
            ),
        ],
    ),
    steps.console(
        "C-36",
        "console_ok",
        text("［了解］で登録", "Choose OK to register"),
        text(
            "［了解］を選ぶと、入力したパッケージのドメイン名またはホスト名がシステムに登録されます。",
            "Choose OK; the package domain or host name entered is registered in the system.",
        ),
        [
            Check(
                "listed",
                text("サーバ一覧にパッケージ名が表示される", "The Server List shows the package host"),
                "{package_host}",
            )
        ],
    ),
    steps.console(
        "C-37",
        "console_mta",
        text("メールサーバ設定で MTA を押し X400 運転席を起動", "Open the X400 console with MTA"),
        text(
            "［メールサーバ設定］ダイアログで［MTA］を押して X400 運転席を起動します。その中で何をするかは K.5 に"
            "書かれていないため、行った操作をメモに記録してください。",
            "In the Mail Server Settings dialog press MTA to open the X400 console. K.5 does not say what to do "
            "inside it: record in the notes what was done.",
        ),
        [
            Check("opened", text("X400 運転席が起動した", "The X400 console opened")),
            Check(
                "recorded",
                text("X400 運転席で行った操作をメモに記録した", "What was done there is recorded in the notes"),
            ),
        ],
        conditions=steps.MAIL,
        deviation=_dev(
            "X400 運転席の中での作業は K.5 に書かれていません（欠陥 6）。操作の記録を求めます。",
            "What to do inside the X400 console is not written (flaw 6); the operator records it.",
        ),
    ),
    steps.console_stop("C-38"),
    steps.mhs_node1("C-39"),
    steps.switch_to_node2("c"),
    steps.mhs_node2("c"),
    steps.switch_back("c"),
    steps.mail_servers_mhs("C-40"),
    Step(
        "c41.nxsrepstat",
        ("C-41",),
        Kind.CHECK,
        Target.MASTER,
        text("nxsrepstat で全アドレスサーバへの反映を確認", "Check with nxsrepstat that every address server has it"),
        text(
            "マスタ管理サーバで nxsrepstat を 1 回実行し、変更がすべてのアドレスサーバに反映されたことを確かめます。"
            "戻り値 0、または「トランザクションレコードなし」の表示なら反映済みです。",
            "Run nxsrepstat once on the master management server to check that the change reached every address "
            "server: return value 0, or the message 'no transaction records', means it has.",
        ),
        action="nxsrepstat",
        inferred=True,
        rerunnable=True,
        timeout_s=600,
        deviation=_dev(
            "K.5 は実行するノードを書いていません。nxsrepstat はマスタ管理サーバで 1 回実行すれば全アドレス"
            "サーバを調べられるので、マスタで 1 回だけ実行します（欠陥 18）。",
            "The source names no node. One run on the master management server covers every address "
            "server, so the plan runs it once there (flaw 18).",
        ),
    ),
    Step(
        "c42.remove_groupmail_tmp",
        ("C-42",),
        Kind.COMMAND,
        NODE1,
        text("GroupMail_tmp を削除", "Delete GroupMail_tmp"),
        text(
            "/var/opt/GroupMail_tmp を削除します。データ削除のため二人目の承認が必要です。",
            "Delete /var/opt/GroupMail_tmp. Deleting data needs a second person's sign-off.",
        ),
        action="remove_groupmail_tmp",
        needs_signoff=True,
        four_eyes=FourEyesKind.DELETE_DATA,
        timeout_s=1800,
    ),
    Step(
        "c43.remove_dbdir_tmp",
        ("C-43",),
        Kind.COMMAND,
        NODE1,
        text("改名したデータベースディレクトリを削除", "Delete the renamed database directory"),
        text(
            "C-04 で改名したデータベースファイルディレクトリを削除します。データ削除のため二人目の承認が必要です。",
            "Delete the database file directory renamed at C-04. Deleting data needs a second person's sign-off.",
        ),
        action="remove_dbdir_tmp",
        varies_with=("previous_database_directory",),
        needs_signoff=True,
        four_eyes=FourEyesKind.DELETE_DATA,
        timeout_s=1800,
    ),
    steps.duty("C-N1"),
)

PROCEDURE = Procedure(
    CODE,
    VERSION,
    TITLE,
    None,
    STEPS,
    ("mail_server", "replication_option", "standby_lan", "previous_database_directory"),
)
