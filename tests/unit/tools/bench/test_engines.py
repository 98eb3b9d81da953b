"""tools/bench/local_engine.py and remote_engine.py: the goals and derived capacity."""

from __future__ import annotations

from tools.bench.connections import Hold
from tools.bench.local_engine import every_core_goal, goals_for, memory_per_stream
from tools.bench.remote_engine import Run, connections_goal, figure_of, instance_streams, stream_cpu
from tools.bench.streams import Step
from tools.loadgen import Level


def step(
    streams: int,
    holds: bool,
    *,
    p95: float = 0.2,
    live: float = 9.0,
    rss: float = 500.0,
    children: tuple[float, ...] = (0.7, 0.7),
    cpu: float = 10.0,
    sessions: int = 10,
) -> Step:
    level = Level(
        streams,
        sessions=sessions,
        closes={"1000": sessions},
        stop_to_final_p95_s=p95,
        live_p95_ms=live,
        peak_rss_mib=rss,
        cpu_s=cpu,
    )
    return Step(level, holds, 30.0, 1.5, list(children), {"load client": 0.1})


def test_every_core_goal_two_busy_workers_on_two_cores_is_met():
    assert every_core_goal(step(6, True, children=(0.8, 0.6)), cores=2).met is True


def test_every_core_goal_one_busy_worker_names_the_gap():
    goal = every_core_goal(step(6, True, children=(0.9, 0.1)), cores=2)

    assert goal.met is False
    assert "only 1 engine workers" in goal.gap


def test_goals_for_held_three_per_core_meets_every_goal():
    steps = [
        step(2, True),
        step(4, True),
        step(6, True, p95=0.4, live=12.0),
        step(8, False, p95=1.6),
    ]

    goals = goals_for(steps, cores=2, note="")

    assert [g.met for g in goals] == [True, True, True, True]
    assert goals[0].measured == "3.0 per core (6 streams on 2 cores)"


def test_goals_for_one_stream_per_core_gives_the_failing_level_as_gap():
    steps = [step(2, True), step(3, False, p95=1.96)]

    goals = goals_for(steps, cores=2, note="")

    assert goals[0].met is False
    assert "at 3 streams p95 stop-to-final was 1.96 s" in goals[0].gap


def test_goals_for_nothing_held_leaves_the_rest_unmeasured():
    goals = goals_for([step(2, False), step(1, False)], cores=2, note="")

    assert [g.met for g in goals] == [False, None, None, None]


def test_memory_per_stream_is_the_slope_of_peak_rss_over_the_levels():
    steps = [step(2, True, rss=310.0), step(3, False, rss=410.0), step(4, False, rss=510.0)]

    assert memory_per_stream(steps, idle_mib=300.0) == 100.0


def test_memory_per_stream_one_level_is_its_rise_over_idle():
    assert memory_per_stream([step(4, True, rss=700.0)], idle_mib=300.0) == 100.0


def test_instance_streams_cpu_bound_floor_each_plan():
    assert instance_streams(0.0075, idle_mib=60.0, mib_per_stream=0.5) == {
        "free": 13,
        "starter": 66,
        "memory": 904,
    }


def test_instance_streams_memory_bound_caps_both_plans():
    plans = instance_streams(0.001, idle_mib=300.0, mib_per_stream=100.0)

    assert (plans["free"], plans["starter"]) == (2, 2)


def test_stream_cpu_is_cpu_per_second_streamed():
    assert stream_cpu(step(10, True, cpu=7.5, sessions=100), fixture_s=10.0) == 0.0075


def test_connections_goal_two_hundred_all_closed_normally_is_met():
    hold = Hold(200, 50, 60.0, closes={"1000": 200})

    assert connections_goal(hold).met is True


def test_connections_goal_lost_sessions_name_their_closes():
    hold = Hold(200, 50, 60.0, closes={"1000": 190, "1013": 10})

    goal = connections_goal(hold)

    assert (goal.met, goal.gap) == (False, "closes other than 1000: {'1013': 10}")


def test_connections_goal_fewer_than_two_hundred_is_not_measured():
    goal = connections_goal(Hold(20, 5, 5.0, closes={"1000": 20}))

    assert (goal.met, goal.gap) == (None, "only 20 connections tried (--quick)")


def test_connections_goal_names_the_plans_too_small_for_the_cpu_used():
    hold = Hold(200, 50, 60.0, closes={"1000": 200}, server_cores=0.63)

    goal = connections_goal(hold)

    assert goal.met is True
    assert goal.measured.endswith(
        "used 0.63 cores here, more than a free (0.1) or a starter (0.5) instance has"
    )


def test_remote_figure_of_a_run_derives_plans_from_the_level_held():
    steps = [
        step(25, True, cpu=5.0, sessions=50, rss=70.0),
        step(50, False, p95=1.7),
    ]
    hold = Hold(200, 50, 60.0, closes={"1000": 200}, server_cores=0.4)
    engine = {"cpu_ms_per_call": 7.9, "wall_ms_per_call": 20.0}
    run = Run(100, 11.1, engine, 60.0, steps, hold, fixture_s=10.0, silent_cpu=0.001)

    figure = figure_of(run)

    # 5 CPU-s over 50 sessions of 10 s: 0.01 CPU-s per stream-second
    assert figure.numbers["cpu_s_per_stream_s"] == 0.01
    assert figure.numbers["render_streams"] == {"free": 10, "starter": 50, "memory": 1130}
    assert figure.numbers["render_silent_streams"] == {"free": 100, "starter": 500}
    assert [g.met for g in figure.goals] == [True, True, True]
    assert "at 50 streams p95 stop-to-final was 1.70 s" in figure.notes[0]
    assert len({len(row) for row in figure.rows}) == 1  # every row fills the header's columns
