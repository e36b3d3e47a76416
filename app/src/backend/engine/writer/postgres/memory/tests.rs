//! Tests of the counter memory: claims, the decisions made on it, and the Optimistic route's rest.

use super::{CounterMemory, OptimisticCounts, LONGEST_PAUSE};
use crate::backend::engine::counters::Locked;
use crate::backend::entities::budget_counter;
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tollgate_domain::{Usage, Window};
use uuid::Uuid;

fn turns(memory: &CounterMemory, batches: usize) -> Vec<bool> {
    (0..batches).map(|_| memory.take_turn()).collect()
}

#[test]
fn after_failures_in_a_row_the_optimistic_route_rests_twice_as_long_each_time_up_to_a_limit() {
    let memory = CounterMemory::default();
    assert_eq!(turns(&memory, 2), [true, true]);
    memory.found_changed(&[]);
    assert!(memory.resting(), "the next batch goes the LockAndVerify route");
    assert_eq!(turns(&memory, 2), [false, true]);
    memory.failed(&[]);
    assert_eq!(turns(&memory, 3), [false, false, true]);
    memory.failed(&[]);
    assert_eq!(turns(&memory, 5), [false, false, false, false, true]);
    for _ in 0..10 {
        memory.failed(&[]);
    }
    let longest = usize::try_from(LONGEST_PAUSE).unwrap();
    let rest = turns(&memory, longest + 1);
    assert!(rest[..longest].iter().all(|turn| !turn) && rest[longest], "{rest:?}");

    memory.held();
    memory.failed(&[]);
    assert_eq!(turns(&memory, 2), [false, true], "a success ends the doubling");
    assert_eq!(memory.counts(), OptimisticCounts { committed: 1, found_changed: 1, failed: 13 });
}

fn window() -> Window {
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    Window { start, end: start + chrono::Duration::days(31) }
}

/// One counter, with `reserved` billionths reserved.
fn counter(budget_id: Uuid, reserved: i64) -> Locked {
    let window = window();
    let model = budget_counter::Model {
        budget_id,
        window_start: window.start,
        window_end: window.end,
        cost_spent: 0,
        cost_reserved: reserved,
        tokens_spent: 0,
        tokens_reserved: 0,
        operations_spent: 0,
        operations_reserved: 0,
        hard_crossed_at: None,
    };
    Locked::from([((budget_id, window.start), (model, Usage::default()))])
}

/// Decides on the memory by adding `add` to the counter's reservations; returns what it assumed.
async fn reserve(memory: &CounterMemory, budget_id: Uuid, add: i64) -> Option<i64> {
    let pairs = [(budget_id, window())];
    memory
        .decide_on(&pairs, |assumed| {
            let before = assumed.values().next()?.0.cost_reserved;
            Some((before, counter(budget_id, before + add)))
        })
        .await
}

#[tokio::test]
async fn decisions_are_made_on_what_the_last_one_left_and_never_on_a_counter_not_remembered() {
    let memory = CounterMemory::default();
    let budget_id = Uuid::now_v7();
    assert_eq!(reserve(&memory, budget_id, 5).await, None, "nothing remembered yet");

    memory.claim(&[(budget_id, window())]).remember(counter(budget_id, 10), Utc::now());
    assert_eq!(reserve(&memory, budget_id, 5).await, Some(10));
    assert_eq!(reserve(&memory, budget_id, 5).await, Some(15), "decided on what the last decision left");

    memory.found_changed(&[(budget_id, window().start)]);
    assert_eq!(reserve(&memory, budget_id, 5).await, None, "a failed statement's counters are forgotten");
}

/// A reservation of 1 on the budget's claimed counter, started on a task of its own; it is still
/// waiting 50 ms later.
async fn reservation_behind_a_claim(memory: &Arc<CounterMemory>, budget_id: Uuid) -> JoinHandle<Option<i64>> {
    let waiting = tokio::spawn({
        let memory = memory.clone();
        async move { reserve(&memory, budget_id, 1).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "nothing is decided on a claimed counter");
    waiting
}

#[tokio::test]
async fn a_claimed_counter_is_decided_on_once_its_batch_told_what_it_left() {
    let memory = Arc::new(CounterMemory::default());
    let budget_id = Uuid::now_v7();
    memory.claim(&[(budget_id, window())]).remember(counter(budget_id, 10), Utc::now());

    let claim = memory.claim(&[(budget_id, window())]);
    let waiting = reservation_behind_a_claim(&memory, budget_id).await;
    claim.remember(counter(budget_id, 30), Utc::now());
    assert_eq!(waiting.await.unwrap(), Some(30));
}

#[tokio::test]
async fn a_claim_whose_batch_failed_leaves_the_counter_forgotten() {
    let memory = Arc::new(CounterMemory::default());
    let budget_id = Uuid::now_v7();
    memory.claim(&[(budget_id, window())]).remember(counter(budget_id, 10), Utc::now());

    let claim = memory.claim(&[(budget_id, window())]);
    let waiting = reservation_behind_a_claim(&memory, budget_id).await;
    drop(claim);
    assert_eq!(waiting.await.unwrap(), None, "what the failed batch left is unknown");
}

#[tokio::test]
async fn a_later_claim_wins_over_an_earlier_batchs_late_report() {
    let memory = CounterMemory::default();
    let budget_id = Uuid::now_v7();
    let earlier = memory.claim(&[(budget_id, window())]);
    let later = memory.claim(&[(budget_id, window())]);
    later.remember(counter(budget_id, 20), Utc::now());
    earlier.remember(counter(budget_id, 10), Utc::now());
    assert_eq!(reserve(&memory, budget_id, 1).await, Some(20));
}
