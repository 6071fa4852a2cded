"""The command line: keepalived's flags parse into Options, one-shot modes answer and exit."""

from __future__ import annotations

import pytest

from alived import cli
from alived.daemon.options import Options, to_argv


def test_defaults_are_keepalived_defaults() -> None:
    cmd = cli.parse_args([])
    assert cmd.mode == "daemon"
    assert cmd.options == Options()
    assert cmd.options.config_file == "/etc/keepalived/keepalived.conf"
    assert cmd.options.pid_file == "/run/keepalived.pid"
    assert cmd.options.vrrp_pid_file == "/run/vrrp.pid"
    assert cmd.options.log_facility == "daemon"


def test_short_and_long_flags() -> None:
    cmd = cli.parse_args(
        ["-n", "-l", "-D", "-f", "/x.conf", "-p", "/p", "-r", "/r", "-S", "local3", "-R", "-X", "-V", "-G"]
    )
    o = cmd.options
    assert (o.dont_fork, o.log_console, o.log_detail, o.dont_respawn) == (True, True, True, True)
    assert (o.release_vips, o.dont_release_vrrp, o.no_syslog) == (True, True, True)
    assert (o.config_file, o.pid_file, o.vrrp_pid_file, o.log_facility) == ("/x.conf", "/p", "/r", "local3")
    long = cli.parse_args(["--dont-fork", "--use-file=/x.conf", "--vrrp_pid=/r", "--log-facility=5"])
    assert long.options.dont_fork and long.options.config_file == "/x.conf"
    assert long.options.vrrp_pid_file == "/r" and long.options.log_facility == "5"


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["-i", "node1"], "config_id", "node1"),
        (["--config-id", "n2"], "config_id", "n2"),
        (["-e"], "all_config", True),
        (["-d"], "dump_conf", True),
        (["-a"], "address_monitoring", True),
        (["-P"], "vrrp_only", True),
        (["-B"], "no_bfd", True),
        (["--all"], "all_children", True),
        (["-u", "022"], "umask", 0o22),
        (["--umask=0x12"], "umask", 0x12),
        (["-u", "18"], "umask", 18),
        (["-g"], "log_file", "/tmp/keepalived.log"),
        (["--log-file=/var/log/k.log"], "log_file", "/var/log/k.log"),
        (["--flush-log-file"], "flush_log_file", True),
        (["--ignore-sigint"], "ignore_sigint", True),
    ],
)
def test_each_flag_sets_its_option(argv: list[str], field: str, value: object) -> None:
    assert getattr(cli.parse_args(argv).options, field) == value


@pytest.mark.parametrize(
    "argv",
    [["-x"], ["-A", "/s"], ["-s", "ns1"], ["-m"], ["-M"], ["-X"]],
)
def test_unbuilt_features_are_accepted_with_a_notice(argv: list[str]) -> None:
    cmd = cli.parse_args(argv)
    assert cmd.mode == "daemon"
    assert any("not supported yet" in n for n in cmd.notices)


def test_load_balancer_flags_reach_the_children_without_a_notice() -> None:
    cmd = cli.parse_args(["-I", "--lvs-backend=nftables"])
    assert (cmd.options.dont_release_ipvs, cmd.options.lvs_backend, cmd.notices) == (True, "nftables", ())
    assert to_argv(cmd.options) == ["--dont-release-ipvs", "--lvs-backend=nftables"]


def test_checker_flags_are_supported_without_a_notice() -> None:
    cmd = cli.parse_args(["-C", "-c", "/run/c.pid"])
    assert (cmd.options.check_only, cmd.options.checkers_pid_file, cmd.notices) == (True, "/run/c.pid", ())
    assert cli.parse_args(["--_child", "check"]).child == "check"


def test_options_round_trip_through_child_argv() -> None:
    o = cli.parse_args(
        ["-n", "-l", "-D", "-f", "/x", "-p", "/p", "-r", "/r", "-u", "027", "-S", "user", "-g", "-i", "id"]
    ).options
    child = cli.parse_args(["--_child", "vrrp", *to_argv(o)])
    assert child.mode == "child" and child.child == "vrrp"
    assert child.options == o


def test_one_shot_modes() -> None:
    assert cli.parse_args(["-v"]).mode == "version"
    assert cli.parse_args(["-h"]).mode == "help"
    assert cli.parse_args(["-T", "-x"]).mode == "genhash"
    t = cli.parse_args(["-t"])
    assert t.mode == "config_test" and t.config_test_log is None
    assert cli.parse_args(["--config-test=/tmp/log"]).config_test_log == "/tmp/log"


@pytest.mark.parametrize(
    ("argv", "err"),
    [
        (["--bogus"], "Unknown option --bogus\n"),
        (["-Z", "--bogus=1", "-Y"], "Unknown option -Z\nUnknown option --bogus=1\nUnknown option -Y\n"),
        (["-nZ"], "Unknown option -Z\n"),
        (["--version=3"], "Unknown option --version=3\n"),
        (["--dont"], "Unknown option --dont\n"),  # ambiguous prefix
        (["-f"], "Missing parameter for option -f\n"),
        (["-n", "-p"], "Missing parameter for option -p\n"),
        (["--use-file="], "Missing parameter for option --use-file\n"),
        (["--pid"], "Missing parameter for option --pid\n"),
        # debug-build flags keepalived's packaged build does not have
        (["--perf"], "Unknown option --perf\n"),
        (["-L"], "Unknown option -L\n"),
    ],
)
def test_usage_errors_exit_1_with_keepalived_wording(
    argv: list[str], err: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 1
    assert capsys.readouterr().err == err


def test_operands_are_reported_and_the_scan_goes_on() -> None:
    cmd = cli.parse_args(["-n", "extra", "-f", "/x.conf", "more"])
    assert (cmd.operands, cmd.bad, cmd.mode) == (("extra", "more"), False, "daemon")
    assert cmd.options.dont_fork and cmd.options.config_file == "/x.conf"
    after = cli.parse_args(["-n", "--", "-f", "/x"])
    assert after.operands == ("-f", "/x") and after.options.config_file == Options().config_file


def test_operands_with_a_bad_option_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["extra", "-Z"]) == 1
    out = capsys.readouterr()
    assert (out.out, out.err) == ("Unexpected argument(s): extra \n", "Unknown option -Z\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["-S", "9"], "Invalid log facility '9'\n"), (["-u", "abc"], "Invalid --umask option abc")],
)
def test_bad_facility_or_umask_is_reported_and_ignored(argv: list[str], message: str) -> None:
    cmd = cli.parse_args(argv)
    assert (cmd.messages, cmd.bad, cmd.options) == ((message,), False, Options())


def test_long_names_may_be_abbreviated_and_values_attached() -> None:
    assert cli.parse_args(["--vers"]).mode == "version"
    cmd = cli.parse_args(["--use", "/a", "--vrrp", "-p/p", "-nlD"])
    o = cmd.options
    assert (o.config_file, o.vrrp_only, o.pid_file, o.dont_fork, o.log_console, o.log_detail) == (
        "/a", True, "/p", True, True, True,
    )  # fmt: skip
    # a required value is the next word whatever it looks like; an optional one only attached
    assert cli.parse_args(["-f", "-n"]).options.config_file == "-n"
    t = cli.parse_args(["-t", "/log"])
    assert (t.mode, t.config_test_log, t.operands) == ("config_test", None, ("/log",))
    assert cli.parse_args(["-t/log"]).config_test_log == "/log"


def test_the_last_of_a_repeated_option_wins() -> None:
    assert cli.parse_args(["-f", "/a", "-f", "/b"]).options.config_file == "/b"


def test_one_shot_actions_happen_where_they_are_met(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-Z", "--signum=STOP", "--bogus"]) == 0
    out = capsys.readouterr()
    assert (out.out, out.err) == ("15\n", "Unknown option -Z\n")
    late = cli.parse_args(["-n", "-T", "-s", "x"])
    assert late.mode == "genhash" and late.genhash_args == ("-s", "x")
    assert late.messages == ("Warning -- `-T` not used as first option, previous options ignored\n",)


def test_config_test_log_that_cannot_be_opened(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-t/nonexistent-dir/t.log", "-f", "/nonexistent.conf"]) == 1
    err = capsys.readouterr().err
    assert err == "Unable to open config-test log file /nonexistent-dir/t.log 2 - No such file or directory\n"


@pytest.mark.parametrize(
    ("name", "number"),
    [("STOP", 15), ("RELOAD", 1), ("DATA", 10), ("STATS", 12), ("STATS_CLEAR", 63), ("JSON", 36)],
)
def test_signum(name: str, number: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([f"--signum={name}"]) == 0
    assert capsys.readouterr().out == f"{number}\n"


@pytest.mark.parametrize("name", ["TDUMP", "stop", "15"])
def test_signum_unknown(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([f"--signum={name}"]) == 1
    assert capsys.readouterr().err == f"Unknown sigfunc {name}\n"


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-v"]) == 0
    assert "2.2.7" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().err
    for flag in ("--use-file", "--vrrp_pid", "--config-test", "--signum", "--dont-respawn", "--genhash"):
        assert flag in text


def test_genhash_mode_without_a_command_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-T"]) == 1
    assert capsys.readouterr().err.startswith("Usage: alived --genhash COMMAND [OPTIONS]\n")


def test_config_id_defaults_to_short_hostname() -> None:
    assert Options().effective_config_id("node1.example.org") == "node1"
    assert Options(config_id="x").effective_config_id("node1.example.org") == "x"


def test_a_bad_facility_is_only_reported_before_a_log_flag() -> None:
    """keepalived's quirk: -l, -G or a good -S before a bad -S silence its complaint."""
    assert cli.parse_args(["-S", "bogus", "-l"]).messages == ("Invalid log facility 'bogus'\n",)
    for earlier in (["-l"], ["-G"], ["-S", "user"]):
        cmd = cli.parse_args([*earlier, "-S", "bogus"])
        assert cmd.messages == () and not cmd.bad
