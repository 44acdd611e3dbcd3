//! Accounts and their credentials on every configured back end: sessions end when the
//! password or role changes or the account is disabled; API tokens expire, are revoked,
//! and stop working with their disabled owner.

// Helpers outside `#[test]` functions panic on failure too: that is how a test fails.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, TimeZone, Utc};
use model::Role;
use sqlx::Executor;
use store::Store;

fn now() -> model::Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

async fn each_store(f: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (name, store) in store::testing::stores(dir.path()).await {
        f(name, store.clone()).await;
        store.close().await;
    }
}

async fn session(store: &Store, hash: &str, user_id: i64) {
    store.create_session(hash, user_id, "csrf", now(), now() + Duration::hours(12)).await.unwrap();
}

async fn live(store: &Store, hash: &str) -> bool {
    store.session(hash, now()).await.unwrap().is_some()
}

#[tokio::test]
async fn password_or_role_changes_end_the_users_sessions_only() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "h1", Role::Officer, now()).await.unwrap();
        let minh = store.create_user("minh", "h", Role::Viewer, now()).await.unwrap();
        session(&store, "lan-1", lan.id).await;
        session(&store, "lan-2", lan.id).await;
        session(&store, "minh-1", minh.id).await;

        store.update_user("lan", "h2", Role::Officer).await.unwrap();
        assert!(!live(&store, "lan-1").await && !live(&store, "lan-2").await, "{backend}");
        assert!(live(&store, "minh-1").await, "{backend}: another user's session ended");
        assert_eq!(store.user_by_name("lan").await.unwrap().unwrap().1, "h2");

        session(&store, "lan-3", lan.id).await;
        store.update_user("lan", "h2", Role::Viewer).await.unwrap();
        assert!(!live(&store, "lan-3").await, "{backend}: a role change kept the session");
        assert_eq!(store.user_by_name("lan").await.unwrap().unwrap().0.role, Role::Viewer);

        assert!(matches!(
            store.update_user("nobody", "h", Role::Viewer).await,
            Err(store::Error::NotFound(_))
        ));
        session(&store, "minh-2", minh.id).await;
        assert_eq!(store.end_sessions(minh.id).await.unwrap(), 2, "{backend}");
        assert!(!live(&store, "minh-1").await);
    })
    .await;
}

#[tokio::test]
async fn api_tokens_expire_and_are_revoked() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "h", Role::Officer, now()).await.unwrap();
        let minh = store.create_user("minh", "h", Role::Viewer, now()).await.unwrap();
        let a = store.create_api_token(lan.id, "a", "ta", now(), now() + Duration::days(1)).await;
        let a = a.unwrap();
        let b = store.create_api_token(lan.id, "b", "tb", now(), now() + Duration::days(90));
        let b = b.await.unwrap();
        let m = store.create_api_token(minh.id, "m", "tm", now(), now() + Duration::days(9));
        let m = m.await.unwrap();

        let later = now() + Duration::hours(1);
        assert_eq!(store.user_by_api_token("ta", later).await.unwrap().unwrap().id, lan.id);
        let expired = now() + Duration::days(1);
        assert!(
            store.user_by_api_token("ta", expired).await.unwrap().is_none(),
            "{backend}: a token was accepted at its expiry"
        );
        assert!(store.user_by_api_token("tb", expired).await.unwrap().is_some());

        let listed = store.api_tokens(lan.id).await.unwrap();
        assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(listed[0].last_used_at, Some(later), "{backend}");
        assert_eq!(listed[1].last_used_at, Some(expired));
        assert_eq!(listed[0].expires_at, now() + Duration::days(1));
        assert!(!listed[0].is_active(expired) && listed[1].is_active(expired));

        // A token id of somebody else is not found, so a typo cannot revoke it.
        assert!(matches!(
            store.revoke_api_token(lan.id, m.id, later).await,
            Err(store::Error::NotFound(_))
        ));
        assert!(store.user_by_api_token("tm", later).await.unwrap().is_some());

        let revoked = store.revoke_api_token(lan.id, b.id, later).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(later), "{backend}");
        assert!(store.user_by_api_token("tb", later).await.unwrap().is_none());
        // Revoking again keeps the first time.
        let again = store.revoke_api_token(lan.id, b.id, later + Duration::hours(1)).await;
        assert_eq!(again.unwrap().revoked_at, Some(later));
        // A refused token is not recorded as used.
        let listed = store.api_tokens(lan.id).await.unwrap();
        assert_eq!(listed[1].last_used_at, Some(expired), "{backend}");

        let m2 = store.create_api_token(minh.id, "m2", "tm2", now(), now() + Duration::days(9));
        m2.await.unwrap();
        let n = store.revoke_api_tokens(minh.id, later).await.unwrap();
        assert_eq!(n, 2, "{backend}");
        assert!(store.user_by_api_token("tm", later).await.unwrap().is_none());
        assert!(store.user_by_api_token("tm2", later).await.unwrap().is_none());
        assert_eq!(store.revoke_api_tokens(minh.id, later).await.unwrap(), 0);
        assert_eq!(a.id, listed[0].id);
    })
    .await;
}

#[tokio::test]
async fn disabled_users_lose_sessions_and_tokens() {
    each_store(async |backend, store| {
        let lan = store.create_user("lan", "h", Role::Admin, now()).await.unwrap();
        assert!(lan.is_enabled());
        session(&store, "s", lan.id).await;
        store.create_api_token(lan.id, "t", "th", now(), now() + Duration::days(9)).await.unwrap();

        let disabled = store.disable_user("lan", now()).await.unwrap();
        assert_eq!(disabled.disabled_at, Some(now()), "{backend}");
        assert!(!live(&store, "s").await, "{backend}: a disabled user's session survived");
        assert!(store.user_by_api_token("th", now()).await.unwrap().is_none(), "{backend}");
        // Login code sees the account and its state.
        let (found, _) = store.user_by_name("lan").await.unwrap().unwrap();
        assert!(!found.is_enabled());
        // A session created anyway (a login racing the disable) is refused.
        session(&store, "s2", lan.id).await;
        assert!(!live(&store, "s2").await, "{backend}");
        // Disabling twice keeps the first time.
        let again = store.disable_user("lan", now() + Duration::hours(1)).await.unwrap();
        assert_eq!(again.disabled_at, Some(now()));

        let enabled = store.enable_user("lan").await.unwrap();
        assert!(enabled.is_enabled() && enabled.role == Role::Admin, "{backend}");
        assert!(store.user_by_api_token("th", now()).await.unwrap().is_some(), "{backend}");
        assert!(matches!(store.disable_user("x", now()).await, Err(store::Error::NotFound(_))));
        assert!(matches!(store.enable_user("x").await, Err(store::Error::NotFound(_))));
    })
    .await;
}

#[tokio::test]
async fn repeated_events_update_one_audit_entry() {
    each_store(async |backend, store| {
        let id = store.audit(None, "login_failed", "user:lan", "failures=1", now()).await;
        let id = id.unwrap();
        let other = store.audit(None, "login_failed", "user:x", "failures=1", now()).await;
        assert_ne!(id, other.unwrap());
        store.update_audit_detail(id, "failures=7").await.unwrap();
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.len(), 2, "{backend}");
        assert_eq!((log[1].3.as_str(), log[1].4.as_str()), ("user:lan", "failures=7"));
        assert!(matches!(
            store.update_audit_detail(id + 100, "x").await,
            Err(store::Error::NotFound(_))
        ));
    })
    .await;
}

/// Applies the migrations before 0004 to the database at `url`, stores a token the old way,
/// then opens the store, which applies 0004.
async fn upgrade_with_a_legacy_token(url: &str) -> Store {
    let dir = tempfile::tempdir().unwrap();
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0004" {
            std::fs::copy(&path, dir.path().join(name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(dir.path()).await.unwrap().run(&pool).await.unwrap();
    pool.execute(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES ('old', 'h', 'viewer', 0)",
    )
    .await
    .unwrap();
    pool.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
         SELECT id, 'legacy', 'th', 0 FROM users WHERE name = 'old'",
    )
    .await
    .unwrap();
    pool.close().await;
    Store::open(url).await.unwrap()
}

#[tokio::test]
async fn tokens_older_than_expiry_get_the_default_lifetime_from_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display())];
    if let Some(base) = store::testing::postgres_base_url() {
        urls.push(store::testing::fresh_postgres_url(&base).await);
    }
    for url in urls {
        let before = Utc::now();
        let store = upgrade_with_a_legacy_token(&url).await;
        let user = store.user_by_name("old").await.unwrap().unwrap().0;
        assert!(user.is_enabled(), "{url}");
        let tokens = store.api_tokens(user.id).await.unwrap();
        let expires = tokens[0].expires_at;
        assert!(
            expires >= before + Duration::days(90) - Duration::seconds(2)
                && expires <= Utc::now() + Duration::days(90) + Duration::seconds(2),
            "{url}: legacy token expires at {expires}"
        );
        assert!(store.user_by_api_token("th", Utc::now()).await.unwrap().is_some(), "{url}");
        assert!(store.user_by_api_token("th", expires).await.unwrap().is_none(), "{url}");
        store.close().await;
    }
}
