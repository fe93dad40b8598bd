"""Step builders shared by the three procedures. Each returns one ``Step``; the procedure modules list them.

Titles and instructions are our own words (Japanese and English); the seed IDs (A-01 …, B-01 …,
C-00 …, K-P1, K-P2) number K.5's steps in the source's order, one row each in ``source.tsv`` beside this
module, so a reviewer finds each step there. A step's ``action`` names its kind in ``actions.ACTIONS``,
where its command, success rule and generated files are.
"""

from __future__ import annotations

from procedures.catalog.base import Check, Kind, Step, Target, text
from procedures.choices import FourEyesKind

NODE1, NODE2, BOTH, CLUSTER = Target.NODE1, Target.NODE2, Target.BOTH, Target.CLUSTER
NODE_JA = {NODE1: "ノード1", NODE2: "ノード2", BOTH: "両ノード"}
NODE_EN = {NODE1: "node 1", NODE2: "node 2", BOTH: "both nodes"}
MAIL = ("mail_server",)


def _key(seed: str, slug: str) -> str:
    return f"{seed.lower().replace('-', '')}.{slug}"


def _dev(ja: str, en: str) -> dict[str, str]:
    return text(ja, en)


# --- introduction ------------------------------------------------------------------------------------------


def kp2(prefix: str) -> Step:
    return Step(
        f"{prefix}.kp2.root",
        ("K-P2",),
        Kind.CHECK,
        BOTH,
        text("root で作業していることの確認", "Confirm the work is done as root"),
        text(
            "両ノードで、これからの作業をすべて root ユーザで行うことを確かめます（uid が 0 であること）。",
            "On both nodes, make sure every following step runs as the root user (uid 0).",
        ),
        action="kp2",
        rerunnable=True,
        timeout_s=60,
    )


def kp1(prefix: str, *, after: str) -> Step:
    return Step(
        f"{prefix}.kp1.object_server",
        ("K-P1",),
        Kind.CHECK,
        BOTH,
        text("両ノードの Object Server の確認", "Check Object Server on both nodes"),
        text(
            f"{after}の後、両ノードに Object Server が導入済みで、xodsetup に両ノードとも同じディレクトリを"
            "指定したことを確かめます。表示されたディレクトリを見比べてください。",
            f"After {after}, check that Object Server is installed on both nodes and that xodsetup was given the "
            "same directory on both. Compare what the two nodes print.",
        ),
        action="kp1",
        rerunnable=True,
        timeout_s=120,
        deviation=_dev(
            "K.5 は前提として述べるだけで、確認の時点を定めていません。両ノードへの導入が終わった"
            "この時点で確認します。",
            "K.5 states this as a requirement without a point in time; the plan checks it once both "
            "nodes have their installation.",
        ),
    )


# --- volume group and file systems --------------------------------------------------------------------------


def vg_activate(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "vg_activate"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}でボリュームグループを活性化", f"Activate the package volume group on {NODE_EN[node]}"),
        text(
            f"Groupmax パッケージのボリュームグループを{NODE_JA[node]}だけで活性化します。もう一方のノードで"
            "活性化されていないことを先に確かめてください。",
            f"Activate the Groupmax package's volume group on {NODE_EN[node]} only. Make sure the other node does "
            "not have it active first.",
        ),
        action="vg_activate",
        timeout_s=120,
        **kw,
    )


def vg_deactivate(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "vg_deactivate"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}でボリュームグループを非活性化", f"Deactivate the volume group on {NODE_EN[node]}"),
        text(
            "パッケージのボリュームグループを非活性化し、もう一方のノードが使える状態にします。",
            "Deactivate the package volume group so that the other node can take it.",
        ),
        action="vg_deactivate",
        timeout_s=120,
        **kw,
    )


def mount(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "mount"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}で共有ファイルシステムをマウント", f"Mount the shared file systems on {NODE_EN[node]}"),
        text(
            "ボリュームグループの論理ボリュームを、インベントリの順にそれぞれのマウントポイントへマウントします"
            "（マウントポイントが無ければ作成します）。",
            "Mount each logical volume of the volume group on its mount point, in inventory order (creating a "
            "missing mount point first).",
        ),
        action="fs_mount",
        timeout_s=300,
        **kw,
    )


def unmount(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "unmount"),
        (seed,),
        Kind.COMMAND,
        node,
        text(
            f"{NODE_JA[node]}で共有ファイルシステムをアンマウント",
            f"Unmount the shared file systems on {NODE_EN[node]}",
        ),
        text(
            "共有ファイルシステムをマウントと逆の順にアンマウントします。使用中のプロセスが残っていると失敗します。",
            "Unmount the shared file systems in reverse order. It fails while a process still uses one.",
        ),
        action="fs_unmount",
        timeout_s=300,
        **kw,
    )


# --- installation and set-up --------------------------------------------------------------------------------


def install_address(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "install_address"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}に Address Server を導入", f"Install Address Server on {NODE_EN[node]}"),
        text(
            "Object Server が未導入なら先に導入し、続けて Address Server を導入します。Replication Option を"
            "使う場合は同時に導入します。",
            "Install Object Server first if it is missing, then Address Server; with Replication Option, "
            "install it in the same run.",
        ),
        action="install_address",
        varies_with=("replication_option",),
        timeout_s=3600,
        **kw,
    )


def install_mail(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "install_mail"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}に Mail Server を導入", f"Install Mail Server on {NODE_EN[node]}"),
        text(
            "ソフトウェアデポから Mail Server を導入します。",
            "Install the Mail Server product from the software depot.",
        ),
        action="install_mail",
        conditions=MAIL,
        timeout_s=3600,
        **kw,
    )


def check_shared(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "check_shared"),
        (seed,),
        Kind.CHECK,
        node,
        text("/var/opt/GroupMail が共有ディスク上にあることの確認", "Check /var/opt/GroupMail is on the shared disk"),
        text(
            "/var/opt/GroupMail "
            "を保持するファイルシステムがパッケージのボリュームグループのものであることを確かめます。"
            "違っていれば Address Server と Mail Server をアンインストールし、導入をやり直してください。",
            "Check that the file system holding /var/opt/GroupMail belongs to the package volume group. If it does "
            "not, uninstall Address Server and Mail Server and install them again correctly.",
        ),
        action="check_shared",
        rerunnable=True,
        timeout_s=120,
        **kw,
    )


def services(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "services"),
        (seed,),
        Kind.EDIT,
        node,
        text(
            f"{NODE_JA[node]}の /etc/services にポート番号を設定", f"Add the ports to /etc/services on {NODE_EN[node]}"
        ),
        text(
            "Address Server（Mail Server を使う場合は Mail Server も）のサービス名とポート番号を /etc/services に"
            "追記します。既にある行は追記しません。",
            "Add the service names and ports of Address Server (and Mail Server when used) to /etc/services; "
            "lines already there are left alone.",
        ),
        action="services",
        varies_with=("mail_server",),
        rerunnable=True,
        timeout_s=60,
        **kw,
    )


def gm_setup(seed: str, node: str, *, again: bool = False, **kw) -> Step:
    again_ja = "最初のノードと同じ値で" if again else ""
    again_en = " with the same answers as on the first node" if again else ""
    return Step(
        _key(seed, "gm_setup"),
        (seed,),
        Kind.COMMAND,
        node,
        text(f"{NODE_JA[node]}で GM_SETUP を実行", f"Run GM_SETUP on {NODE_EN[node]}"),
        text(
            f"{again_ja}GM_SETUP を実行します。サーバ構成はインベントリの役割、データベーススキーマ名は xodrc の"
            "resiobj の -s と同じ値、システム管理者は root とそのグループです。",
            f"Run GM_SETUP{again_en}: server configuration from the inventory role, database schema name equal to "
            "the -s value of resiobj in xodrc, and root with its group as the system administrator.",
        ),
        action="gm_setup",
        timeout_s=900,
        **kw,
    )


def clear_groupmail(seed: str, node: str, **kw) -> Step:
    return Step(
        _key(seed, "clear_groupmail"),
        (seed,),
        Kind.COMMAND,
        node,
        text("/var/opt/GroupMail の中身を削除", "Delete everything under /var/opt/GroupMail"),
        text(
            f"{NODE_JA[node]}で作成された /var/opt/GroupMail 配下のディレクトリとファイルをすべて削除します"
            "（共有ディスク上のデータはもう一方のノードで作り直します）。データ削除のため二人目の承認が必要です。",
            f"Delete every directory and file under /var/opt/GroupMail that {NODE_EN[node]} set up; the other node "
            "sets the shared disk up again. Deleting data needs a second person's sign-off.",
        ),
        action="clear_groupmail",
        needs_signoff=True,
        four_eyes=FourEyesKind.DELETE_DATA,
        timeout_s=600,
        **kw,
    )


def db_files(seeds: tuple[str, ...], **kw) -> Step:
    return Step(
        _key(seeds[0], "db_files_create")
        if len(seeds) == 1
        else f"{seeds[0].lower().replace('-', '')}_19.db_files_create",
        seeds,
        Kind.COMMAND,
        NODE1,
        text("共有ディスクにデータベースファイルを作成", "Create the database files on the shared disk"),
        text(
            "データベースファイルを共有ディスク上のデータベースファイルディレクトリに作成します。事前に作成済みなら"
            "この手順は計画から外れます。",
            "Create the database files in the database directory on the shared disk. When they were created "
            "beforehand, the plan leaves this step out.",
        ),
        action="db_files_create",
        conditions=("db_files_not_precreated",),
        timeout_s=1800,
        **kw,
    )


def xodrc_comment(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "xodrc_comment"),
        (seed,),
        Kind.EDIT,
        NODE1,
        text("xodrc の常駐指定（resiobj）をコメントにする", "Comment out the residency setting (resiobj) in xodrc"),
        text(
            "Object Server のシステム共通定義ファイル xodrc の resiobj 行を、DB_SETUP の間だけコメント行にします。"
            "元のファイルは初回だけ .k5orig に保存します。",
            "Turn the resiobj line of Object Server's system common definition file (xodrc) into a comment for "
            "the time of DB_SETUP. The original is kept once as .k5orig.",
        ),
        action="xodrc_comment",
        rerunnable=True,
        timeout_s=60,
        **kw,
    )


def xodrc_restore(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "xodrc_restore"),
        (seed,),
        Kind.EDIT,
        NODE1,
        text("xodrc の常駐指定を元に戻す", "Restore the residency setting in xodrc"),
        text(
            "コメントにした resiobj 行を有効な行に戻し、戻ったことを確かめます。",
            "Make the commented resiobj line active again and check that it is.",
        ),
        action="xodrc_restore",
        rerunnable=True,
        timeout_s=60,
        **kw,
    )


def xodrc_same(seed: str, **kw) -> Step:
    key = kw.pop("key", None) or _key(seed, "xodrc_same")
    return Step(
        key,
        (seed,) if seed else (),
        Kind.CHECK,
        BOTH,
        text("両ノードの xodrc を揃える", "Make xodrc the same on both nodes"),
        text(
            "両ノードで xodrc のチェックサムと resiobj 行を表示します。2 台の値が同じであることを見比べ、違えば"
            "ノード1 の内容に合わせてから再実行してください。",
            "Each node prints the checksum of xodrc and its resiobj line. Compare the two; where they differ, make "
            "node 2's file equal to node 1's and run the check again.",
        ),
        action="xodrc_show",
        rerunnable=True,
        timeout_s=60,
        checklist=(Check("same_checksum", text("2 台の cksum が一致", "Both nodes print the same cksum")),),
        **kw,
    )


def objsv_start(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "objsv_start"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("Object Server を起動", "Start Object Server"),
        text("ノード1 で Object Server を起動します。", "Start Object Server on node 1."),
        action="objsv_start",
        timeout_s=600,
        **kw,
    )


def objsv_stop(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "objsv_stop"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("Object Server を停止", "Stop Object Server"),
        text("ノード1 で Object Server を停止します。", "Stop Object Server on node 1."),
        action="objsv_stop",
        timeout_s=600,
        **kw,
    )


def db_setup(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "db_setup"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("DB_SETUP を実行", "Run DB_SETUP"),
        text(
            "Groupmax のデータベースを設定します（Object Server は起動済み）。",
            "Set up the Groupmax database while Object Server runs.",
        ),
        action="db_setup",
        timeout_s=1800,
        **kw,
    )


def addr_start(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "addr_start"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("アドレスサービスを起動", "Start the address service"),
        text(
            "アドレスサービスを起動し、起動したことを出力で確かめます（正常に起動すれば正常）。",
            "Start the address service and see in its output that it started (started means normal).",
        ),
        action="addr_start",
        timeout_s=600,
        **kw,
    )


def addr_stop(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "addr_stop"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("アドレスサービスを停止", "Stop the address service"),
        text("ノード1 でアドレスサービスを停止します。", "Stop the address service on node 1."),
        action="addr_stop",
        timeout_s=600,
        **kw,
    )


def adsrvn(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "adsrvn"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("adsrvn でパッケージのホスト名を登録", "Register the package host name with adsrvn"),
        text(
            "adsrvn -n にパッケージのドメイン名またはホスト名（インベントリの値）を渡して実行します。"
            "「ドメイン名/ホスト名の配布に失敗しました。」が出ても、K.5 のとおり無視して構いません。",
            "Run adsrvn -n with the package's domain or host name from the inventory. The message that "
            "distributing the domain/host name failed is expected here and K.5 says to ignore it.",
        ),
        action="adsrvn",
        timeout_s=300,
        **kw,
    )


# --- gmpublicinfo -------------------------------------------------------------------------------------------


def gmp_level(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "gmpublicinfo_level"),
        (seed,),
        Kind.EDIT,
        NODE1,
        text("gmpublicinfo に CLUSTERING_LEVEL=1 を追加", "Add CLUSTERING_LEVEL=1 to gmpublicinfo"),
        text(
            "このサーバの gmpublicinfo に CLUSTERING_LEVEL=1 の行を追加します（既にあれば何もしません）。",
            "Add the line CLUSTERING_LEVEL=1 to this server's gmpublicinfo (nothing happens if it is there).",
        ),
        action="gmpublicinfo_level",
        rerunnable=True,
        timeout_s=60,
        **kw,
    )


def gmp_ips_own(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "gmpublicinfo_ips"),
        (seed,),
        Kind.EDIT,
        NODE1,
        text(
            "gmpublicinfo にローカル IP とパッケージ名の対応を追加",
            "Map the local IPs to the package host in gmpublicinfo",
        ),
        text(
            "各ノードの各 LAN のローカル IP アドレスをパッケージのホスト名に対応させる行を、このサーバの "
            "gmpublicinfo に追加します。値はインベントリから生成します。",
            "Add one line per node and LAN mapping its local IP address to the package host name to this server's "
            "gmpublicinfo. The lines come from the inventory.",
        ),
        action="gmpublicinfo_ips_own",
        varies_with=("standby_lan",),
        rerunnable=True,
        timeout_s=60,
        deviation=_dev(
            "K.5 の例のアドレスとパッケージ名は使わず、常にインベントリの値から生成します（欠陥 2、12）。",
            "The source's example addresses and names are never used; the records come from the "
            "inventory (flaws 2 and 12).",
        ),
        **kw,
    )


def gmp_ips_master(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "master_gmpublicinfo"),
        (seed,),
        Kind.EDIT,
        Target.MASTER,
        text(
            "マスタ管理サーバの gmpublicinfo にこのクラスタの対応を追加",
            "Add this cluster's IP mappings to the master's gmpublicinfo",
        ),
        text(
            "マスタ管理サーバの gmpublicinfo に、このクラスタの各ノード・各 LAN のローカル IP を、このクラスタの"
            "パッケージホスト名に対応させる行を追加します。マスタがクラスタなら、実行時にマスタのパッケージが"
            "動いているノードで編集します。このサーバ自身の gmpublicinfo には追加しません。",
            "Add to the master management server's gmpublicinfo one line per node and LAN of this cluster, mapping "
            "its local IP to this cluster's package host name. When the master is clustered, the edit happens on "
            "the node that runs the master's package at that moment. This server's own file gets no records.",
        ),
        action="gmpublicinfo_ips_master",
        varies_with=("standby_lan",),
        rerunnable=True,
        needs_signoff=True,
        four_eyes=FourEyesKind.MASTER,
        locks_master=True,
        timeout_s=120,
        deviation=_dev(
            "値は常にこのクラスタのインベントリから生成します（K.5 の例は gmaxhost と addpkg が混在: 欠陥 2）。"
            "マスタがクラスタの場合の編集ノードは K.5 に書かれていないため、実行時にマスタのパッケージを"
            "持つノードに決めます（欠陥 17）。マスタのアドレスサービスを再起動して新しい行を読ませる必要が"
            "あるかは K.5 に無く、運用者の判断に残します。",
            "The records always come from this cluster's inventory (the source's example mixes gmaxhost "
            "and addpkg: flaw 2). K.5 does not say on which node of a clustered master to edit; the plan "
            "picks the node running the master's package at run time (flaw 17). Whether the master's "
            "address service must be restarted to read the records is not in K.5 and is left to the "
            "operator as an open point.",
        ),
        **kw,
    )


# --- package configuration ----------------------------------------------------------------------------------


def write_config(seed: str, *, mail: str, deviation: dict, **kw) -> Step:
    return Step(
        _key(seed, "write_config"),
        (seed,),
        Kind.EDIT,
        CLUSTER,
        text(
            "クラスタ・パッケージ定義とパッケージ制御スクリプトを作成",
            "Write the cluster, package and control script files",
        ),
        text(
            "インベントリから生成したクラスタ定義ファイル、パッケージ定義ファイル、パッケージ制御スクリプトを"
            "ノード1 に書き込みます。内容は計画の「生成ファイル」で確認できます。",
            "Write the cluster configuration, the package configuration and the package control script rendered "
            "from the inventory to node 1. Their contents are shown under the plan's generated files.",
        ),
        action="write_config",
        params={"mail": mail},
        run_on=NODE1,
        varies_with=("mail_server",),
        rerunnable=True,
        timeout_s=120,
        deviation=deviation,
        **kw,
    )


def write_script(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "write_script_mail"),
        (seed,),
        Kind.EDIT,
        CLUSTER,
        text("制御スクリプトのメール関連行を有効にする", "Make the control script's mail lines active"),
        text(
            "APSTART、APSTOP と mailSV（mlstatp）の SERVICE_NAME[1]/SERVICE_CMD[1]/SERVICE_RESTART[1] を有効にした"
            "制御スクリプトをノード1 に書き込みます。",
            "Write the control script with APSTART, APSTOP and the mailSV (mlstatp) entries SERVICE_NAME[1], "
            "SERVICE_CMD[1] and SERVICE_RESTART[1] active to node 1.",
        ),
        action="write_script",
        params={"mail": "active"},
        run_on=NODE1,
        conditions=MAIL,
        rerunnable=True,
        timeout_s=120,
        omitted_because=text(
            "Mail Server を使わないため、APSTART・APSTOP・mlstatp の行はコメントのままにします。これらはメールサーバの"
            "起動・停止・監視だけを行い、アドレスサービスは別の行で起動されます（A-37/B-33 で確認済み）。有効にすると"
            "パッケージ起動のたびに失敗する起動と監視が走ります（欠陥 5: K.5 の (M) は正しい）。",
            "Without Mail Server the APSTART, APSTOP and mlstatp lines stay commented out: they only start, stop and "
            "watch the mail server, while the address service is started by other lines (checked at A-37/B-33). "
            "Made active, every package start would run a mail start and a mail monitor that cannot succeed "
            "(flaw 5: the source's (M) is right).",
        ),
        deviation=_dev(
            "K.5 の SERVICE_RESTERT の綴りと全角の引用符（”）は写さず、SERVICE_RESTART と ASCII の引用符で"
            "書きます（欠陥 1、10）。",
            "The source's SERVICE_RESTERT spelling and typographic quotes are not "
            "copied: the script says SERVICE_RESTART with ASCII quotes (flaws 1 and 10).",
        ),
        **kw,
    )


def copy_script(prefix: str, when: str, **kw) -> Step:
    return Step(
        f"{prefix}.copy_script.{when}",
        (),
        Kind.COMMAND,
        NODE2,
        text("制御スクリプトをノード2 にコピー", "Copy the control script to node 2"),
        text(
            "ノード1 と同じ制御スクリプト（とパッケージ定義）をノード2 の同じパスに書き込みます。",
            "Write the same control script (and package configuration) to the same path on node 2.",
        ),
        action="copy_script",
        params={"when": when},
        rerunnable=True,
        timeout_s=120,
        deviation=_dev(
            "K.5 は全ノードへのコピーを確認させるだけで、コピーする手順がありません。計画がコピーを行います"
            "（欠陥 16）。",
            "K.5 only asks to confirm a copy to all nodes that no step makes; the plan adds the copy (flaw 16).",
        ),
        **kw,
    )


def compare_script(prefix: str, when: str, **kw) -> Step:
    return Step(
        f"{prefix}.compare_script.{when}",
        (),
        Kind.CHECK,
        BOTH,
        text("両ノードの制御スクリプトが同一であることの確認", "Check both nodes have the identical control script"),
        text(
            "両ノードの制御スクリプトを生成した内容と突き合わせ、1 バイトでも違えば失敗とします。",
            "Compare each node's control script with the rendered one; any difference fails the step.",
        ),
        action="compare_script",
        params={"when": when},
        rerunnable=True,
        timeout_s=120,
        deviation=_dev(
            "cmruncl の前に両ノードのスクリプトを比較します（欠陥 16）。ServiceGuard の cmcheckconf は中身の"
            "一致を確かめません。",
            "Before cmruncl the plan compares the script on both nodes (flaw 16); "
            "ServiceGuard's cmcheckconf does not compare contents.",
        ),
        **kw,
    )


def confirm_copied(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "confirm_copied"),
        (seed,),
        Kind.CONFIRM,
        CLUSTER,
        text("制御スクリプトが全ノードにあることの確認", "Confirm the control script is on every node"),
        text(
            "パッケージ制御スクリプトが全ノードにコピーされていることを確認します（直後の比較の結果も参照）。",
            "Confirm that the package control script has been copied to every node (see also the comparison that "
            "follows).",
        ),
        rerunnable=True,
        **kw,
    )


def apply_config(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.apply_config",
        (),
        Kind.COMMAND,
        NODE1,
        text("クラスタ構成を検査して適用", "Check and apply the cluster configuration"),
        text(
            "cmcheckconf でクラスタ定義とパッケージ定義を検査し、問題がなければ cmapplyconf で適用します。"
            "ボリュームグループはどのノードでも非活性であること。",
            "Check the cluster and package configuration with cmcheckconf and apply it with cmapplyconf. The "
            "volume group must be inactive on every node.",
        ),
        action="apply_config",
        timeout_s=600,
        needs_signoff=True,
        four_eyes=FourEyesKind.CLUSTER,
        deviation=_dev(
            "K.5 はこの手順を書いていませんが、初めての cmruncl の前に構成の適用が必要です（欠陥 16）。",
            "K.5 has no such step, but the configuration must be applied before the first cmruncl (flaw 16).",
        ),
        **kw,
    )


def cm_run(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "cmruncl"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("クラスタを起動（cmruncl）", "Start the cluster (cmruncl)"),
        text(
            "ノード1 からクラスタを起動します。パッケージも起動します。クラスタの起動には二人目の承認が必要です。",
            "Start the cluster from node 1; the package starts with it. Starting the cluster needs a second "
            "person's sign-off.",
        ),
        action="cm_run",
        needs_signoff=True,
        four_eyes=FourEyesKind.CLUSTER,
        timeout_s=900,
        **kw,
    )


def cm_halt(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "cmhaltcl"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("クラスタを停止（cmhaltcl）", "Stop the cluster (cmhaltcl)"),
        text(
            "ノード1 からクラスタを停止します（パッケージも停止）。停止には二人目の承認が必要です。",
            "Stop the cluster from node 1, package included. Stopping it needs a second person's sign-off.",
        ),
        action="cm_halt",
        needs_signoff=True,
        four_eyes=FourEyesKind.CLUSTER,
        timeout_s=900,
        **kw,
    )


def check_log(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "check_log"),
        (seed,),
        Kind.CHECK,
        NODE1,
        text("control.sh.log でアドレスサービスの起動を確認", "Check control.sh.log for the address service start"),
        text(
            "制御スクリプトのログ control.sh.log のうち、直近のパッケージ起動の部分だけを調べ、アドレスサービスが"
            "起動したことを確かめます。",
            "Look only at the latest package start in the control script's log (control.sh.log) and check that "
            "the address service started there.",
        ),
        action="check_log",
        rerunnable=True,
        timeout_s=120,
        **kw,
    )


# --- console ------------------------------------------------------------------------------------------------


def console(seed: str, slug: str, title: dict, instruction: dict, checklist=(), **kw) -> Step:
    return Step(
        _key(seed, slug),
        (seed,),
        Kind.CONSOLE,
        Target.CONSOLE,
        title,
        instruction,
        checklist=tuple(checklist),
        timeout_s=3600,
        **kw,
    )


def console_start(seed: str, **kw) -> Step:
    return console(
        seed,
        "console_start",
        text("運転席を起動", "Start the console"),
        text(
            "運転席を起動します。この段階でクラスタ環境の運転席を使う場合はノード1 で起動します。",
            "Start the Groupmax console. If the cluster environment's console is used now, start it on node 1.",
        ),
        [
            Check(
                "started",
                text(
                    "運転席が起動した（使う場合はノード1 で）",
                    "Console started (on node 1 if the cluster's own console is used)",
                ),
                "{node1_host}",
            )
        ],
        **kw,
    )


def console_stop(seed: str, **kw) -> Step:
    return console(
        seed,
        "console_stop",
        text("運転席を終了", "Close the console"),
        text("運転席を終了します。", "Close the Groupmax console."),
        [Check("closed", text("運転席を終了した", "Console closed"))],
        **kw,
    )


def console_site(seed: str, *, if_needed: bool = False, **kw) -> Step:
    ja = "必要であれば、" if if_needed else ""
    en = "If needed, register" if if_needed else "Register"
    return console(
        seed,
        "console_site",
        text("サイト一覧にサイトを登録", "Register the site in the Site List"),
        text(f"{ja}［サイト一覧］ダイアログでサイトを登録します。", f"{en} the site in the Site List dialog."),
        [
            Check(
                "site",
                text("サイト一覧: このサーバのサイトが登録されている", "Site List: this server's site is listed"),
            )
        ],
        **kw,
    )


def console_server(seed: str, **kw) -> Step:
    return console(
        seed,
        "console_server",
        text("サーバ一覧にサーバを登録", "Register the server in the Server List"),
        text(
            "［サーバ一覧］ダイアログでサーバを登録します。「ドメイン名/ホスト名」欄にはノードのホスト名ではなく"
            "Groupmax パッケージのドメイン名またはホスト名を入力します。",
            "Register the server in the Server List dialog. In the domain name/host name field enter the Groupmax "
            "package's domain or host name, not a node's.",
        ),
        [
            Check(
                "host_field",
                text(
                    "サーバ一覧 → ドメイン名/ホスト名 欄 = パッケージ名（ノードのホスト名ではない）",
                    "Server List → domain name/host name field = the package host (not a node's)",
                ),
                "{package_host}",
            ),
            Check(
                "not_node",
                text("ノードのホスト名を入力していない", "No node host name entered"),
                "≠ {node1_host}, {node2_host}",
            ),
        ],
        **kw,
    )


def console_mail_settings(seed: str, **kw) -> Step:
    return console(
        seed,
        "console_mail_settings",
        text("メールサーバ設定でメールサーバにする", "Make the server a mail server"),
        text(
            "［メールサーバ設定］ダイアログで、このアドレスサーバをメールサーバにします。",
            "In the Mail Server Settings dialog, make this address server a mail server.",
        ),
        [
            Check(
                "is_mail",
                text(
                    "メールサーバ設定: このアドレスサーバがメールサーバになっている",
                    "Mail Server Settings: the address server is a mail server",
                ),
                "{package_host}",
            )
        ],
        conditions=MAIL,
        **kw,
    )


def console_mail_start(seed: str, **kw) -> Step:
    return console(
        seed,
        "console_mail_start",
        text("登録したメールサーバを起動", "Start the registered mail server"),
        text("運転席から、登録したメールサーバを起動します。", "Start the registered mail server from the console."),
        [
            Check(
                "started",
                text("メールサーバが起動中と表示される", "The mail server shows as started"),
                "{package_host}",
            )
        ],
        conditions=MAIL,
        **kw,
    )


# --- Mail Server's mhs_nadr_cfg and the domain duty ---------------------------------------------------------


def mhs_node1(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "mhs_nadr_cfg"),
        (seed,),
        Kind.COMMAND,
        NODE1,
        text("mhs_nadr_cfg TCP OFF を実行", "Run mhs_nadr_cfg TCP OFF"),
        text(
            "パッケージがノード1 で動いている間に mhs_nadr_cfg TCP OFF を実行します。",
            "Run mhs_nadr_cfg TCP OFF on node 1 while the package runs there.",
        ),
        action="mhs_nadr_cfg",
        conditions=MAIL,
        rerunnable=True,
        timeout_s=300,
        **kw,
    )


def mail_stop_before_halt(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.mail_stop",
        (),
        Kind.COMMAND,
        NODE1,
        text("クラスタ停止の前にメールサーバを停止", "Stop the mail server before stopping the cluster"),
        text(
            "運転席で起動したメールサーバは、制御スクリプトの APSTOP がまだコメントのためパッケージ停止では止まり"
            "ません。共有ディスクをきれいにアンマウントできるよう、ここで停止します。",
            "The mail server started from the console is not stopped by the package halt, because APSTOP is still "
            "commented out. Stop it here so that the shared disk unmounts cleanly.",
        ),
        action="mail_stop",
        conditions=MAIL,
        timeout_s=600,
        deviation=_dev(
            "K.5 はメールサーバを明示的に停止しません（欠陥 13）。追加した手順です。",
            "K.5 never stops the mail server explicitly (flaw 13); this step is added.",
        ),
        **kw,
    )


def switch_to_node2(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.switch_node2",
        (),
        Kind.COMMAND,
        NODE1,
        text("パッケージをノード2 へ切り替え", "Switch the package to node 2"),
        text(
            "mhs_nadr_cfg の設定がノード2 でも有効かを確かめるため、パッケージを停止してノード2 で起動します。"
            "パッケージの停止・起動には二人目の承認が必要です。",
            "To make sure the mhs_nadr_cfg setting holds on node 2 too, halt the package and run it on node 2. "
            "Halting and starting the package needs a second person's sign-off.",
        ),
        action="switch",
        params={"to": 2},
        conditions=MAIL,
        needs_signoff=True,
        four_eyes=FourEyesKind.CLUSTER,
        timeout_s=900,
        deviation=_dev(
            "K.5 は mhs_nadr_cfg の設定の保存場所を書いていません。ローカルディスクならノード2 に設定が"
            "ありません。欠陥 4 の推奨どおり、ノード2 でも実行します。",
            "K.5 does not say where mhs_nadr_cfg keeps its setting; on a local disk node 2 would lack it. "
            "As flaw 4 recommends, the plan runs it on node 2 as well.",
        ),
        **kw,
    )


def mhs_node2(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.mhs_nadr_cfg.node2",
        (),
        Kind.COMMAND,
        NODE2,
        text("ノード2 で mhs_nadr_cfg TCP OFF を実行", "Run mhs_nadr_cfg TCP OFF on node 2"),
        text(
            "パッケージがノード2 で動いている間に mhs_nadr_cfg TCP OFF を実行します（既に有効でも害はありません）。",
            "Run mhs_nadr_cfg TCP OFF on node 2 while the package runs there (harmless if already in effect).",
        ),
        action="mhs_nadr_cfg",
        conditions=MAIL,
        rerunnable=True,
        timeout_s=300,
        deviation=_dev("欠陥 4 の推奨による追加手順です。", "Added as flaw 4 recommends."),
        **kw,
    )


def switch_back(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.switch_node1",
        (),
        Kind.COMMAND,
        NODE1,
        text("パッケージをノード1 へ戻す", "Switch the package back to node 1"),
        text(
            "パッケージを停止してノード1 で起動し直し、切り替えを有効に戻します。",
            "Halt the package, run it on node 1 again and re-enable switching.",
        ),
        action="switch",
        params={"to": 1},
        conditions=MAIL,
        needs_signoff=True,
        four_eyes=FourEyesKind.CLUSTER,
        timeout_s=900,
        deviation=_dev("欠陥 4 の推奨による追加手順です。", "Added as flaw 4 recommends."),
        **kw,
    )


def mail_servers_mhs(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "mail_servers_mhs"),
        (seed,),
        Kind.COMMAND,
        Target.MAIL_SERVERS,
        text("ドメインの全メールサーバで mhs_nadr_cfg TCP OFF", "Run mhs_nadr_cfg TCP OFF on every mail server"),
        text(
            "このメールサーバがあるアドレス管理ドメインの、ほかのすべてのメールサーバで mhs_nadr_cfg TCP OFF を実行"
            "します（クラスタならパッケージが動いているノードで）。既に実行済みのサーバで繰り返しても害はありません。"
            "設定は次回のサーバ起動から有効になるので、起動中のサーバは各自の手順で停止・再起動してください。",
            "Run mhs_nadr_cfg TCP OFF on every other mail server of this address-management domain (on the node "
            "running the package for a clustered one). Repeating it where it was done is harmless. The setting "
            "takes effect at the next server start: stop and restart running servers by their own procedure.",
        ),
        action="mhs_nadr_cfg",
        conditions=MAIL,
        rerunnable=True,
        timeout_s=300,
        **kw,
    )


def duty(seed: str, **kw) -> Step:
    return Step(
        _key(seed, "domain_duty"),
        (seed,),
        Kind.CONFIRM,
        Target.MAIL_SERVERS,
        text(
            "ドメインの恒常的な義務: 追加するメールサーバで mhs_nadr_cfg TCP OFF",
            "Standing duty of the domain: mhs_nadr_cfg TCP OFF on every mail server added later",
        ),
        text(
            "今後このアドレス管理ドメインにメールサーバを追加したときは、クラスタかどうかに関係なく、そのサーバの"
            "メール設定が終わった後で mhs_nadr_cfg TCP OFF を実行します。ドメインのページの「mhs_nadr_cfg」で、"
            "どのメールサーバに実行の記録があるかを確かめられます。ここではその義務を了承したことを記録します。",
            "From now on, whenever a mail server joins this address-management domain, clustered or not, run "
            "mhs_nadr_cfg TCP OFF on it once its mail settings are done. The domain's page shows which mail "
            "servers have it on record; here the operator records that the duty is acknowledged.",
        ),
        conditions=MAIL,
        domain_duty=True,
        rerunnable=True,
        deviation=_dev(
            "K.5 の注意書きは将来の作業なので、今実行するコマンドではなく、ドメインの義務として記録します。",
            "The source's note concerns future work, so it is recorded as a duty of the domain rather "
            "than run as a command now.",
        ),
        **kw,
    )


def console_restart(prefix: str, **kw) -> Step:
    return Step(
        f"{prefix}.console_restart",
        (),
        Kind.CONSOLE,
        Target.CONSOLE,
        text("運転席をもう一度起動", "Start the console again"),
        text(
            "運転席は既に終了しているため、メールサーバの状態を確かめる前にもう一度起動します。",
            "The console was closed earlier; start it again before checking the mail server.",
        ),
        checklist=(Check("started", text("運転席が起動した", "Console started"), "{node1_host}"),),
        conditions=MAIL,
        timeout_s=3600,
        deviation=_dev(
            "K.5 は A-43 で運転席を終了した後、起動し直さずに A-50 で運転席を使います（欠陥 14）。追加した手順です。",
            "K.5 uses the console at A-50 after closing it at A-43 (flaw 14); this step is added.",
        ),
        **kw,
    )
