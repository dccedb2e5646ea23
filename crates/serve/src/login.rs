//! Login: SCRAM-SHA-256 (RFC 5802, 7677) against the stored verifiers, with channel binding
//! (SCRAM-SHA-256-PLUS, `tls-server-end-point`) where TLS is on, and the rules around it:
//! TLS required when configured, connection limits per server and per user, failed logins
//! logged with the client's address and locked out per address after a few, and an unknown
//! user answered with a challenge of the same shape as a real one and stable across attempts
//! (so names cannot be told apart). A successful login creates the connection's own session.

use std::{
    collections::HashMap,
    fmt::Debug,
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use datafusion_postgres::{
    DfSessionService, QueryHook,
    pgwire::{
        api::{
            ClientInfo, ConnectionManager, METADATA_USER, PgWireConnectionState, PidSecretKeyGenerator,
            RandomPidSecretKeyGenerator,
            auth::{
                DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
                save_startup_parameters_to_metadata,
            },
        },
        error::{ErrorInfo, PgWireError, PgWireResult},
        messages::{PgWireBackendMessage, PgWireFrontendMessage, startup::Authentication},
    },
};
use futures::{Sink, SinkExt};
use sha2::{Digest, Sha256};

use crate::{
    ServeConfig,
    hook::AccessHook,
    password::{DEFAULT_ITERATIONS, Verifier, hmac},
    session::Zones,
};

const SCRAM: &str = "SCRAM-SHA-256";
const SCRAM_PLUS: &str = "SCRAM-SHA-256-PLUS";

/// What every connection's login shares: config, tables, counters.
pub(crate) struct Gate {
    pub(crate) config: ServeConfig,
    pub(crate) zones: Zones,
    /// The certificate hash for channel binding, when TLS is on.
    pub(crate) end_point: Option<Vec<u8>>,
    pub(crate) connections: Arc<ConnectionManager>,
    pids: RandomPidSecretKeyGenerator,
    /// Key of the mock challenges of unknown users.
    mock_key: [u8; 32],
    failures: Mutex<HashMap<IpAddr, Failures>>,
    per_user: Mutex<HashMap<String, usize>>,
}

#[derive(Default)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

impl Gate {
    pub(crate) fn new(config: ServeConfig, zones: Zones, end_point: Option<Vec<u8>>) -> Self {
        // Stable while the users' verifiers are: an unknown name gets the same salt every time,
        // and nobody without the config can compute it.
        let mut material = Sha256::new();
        for name in config.user_names() {
            let user = config.user(name).expect("listed");
            material.update(name.as_bytes());
            material.update(user.verifier.stored_key);
            material.update(user.verifier.server_key);
        }
        Self {
            config,
            zones,
            end_point,
            connections: Arc::new(ConnectionManager::new()),
            pids: RandomPidSecretKeyGenerator::default(),
            mock_key: material.finalize().into(),
            failures: Mutex::new(HashMap::new()),
            per_user: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn locked_out(&self, address: IpAddr) -> bool {
        let failures = self.failures.lock().expect("not poisoned");
        failures
            .get(&address)
            .and_then(|entry| entry.locked_until)
            .is_some_and(|until| Instant::now() < until)
    }

    pub(crate) fn record_failure(&self, address: IpAddr, user: &str, reason: &str) {
        let limits = &self.config.limits;
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() > 100_000 {
            let now = Instant::now();
            failures.retain(|_, entry| entry.locked_until.is_some_and(|until| until > now));
        }
        let entry = failures.entry(address).or_default();
        entry.count += 1;
        tracing::warn!(%address, user, reason, failures = entry.count, "failed login");
        if entry.count >= limits.failed_logins_before_lockout {
            entry.count = 0;
            entry.locked_until = Some(Instant::now() + Duration::from_secs(limits.lockout_seconds));
            tracing::warn!(%address, seconds = limits.lockout_seconds, "address locked out after failed logins");
        }
    }

    pub(crate) fn record_success(&self, address: IpAddr) {
        self.failures.lock().expect("not poisoned").remove(&address);
    }

    /// Count a connection of `user`; `None` when the user is at the limit.
    pub(crate) fn admit(self: &Arc<Self>, user: &str) -> Option<UserSlot> {
        let mut counts = self.per_user.lock().expect("not poisoned");
        let count = counts.entry(user.to_string()).or_default();
        if *count >= self.config.limits.max_connections_per_user {
            return None;
        }
        *count += 1;
        Some(UserSlot {
            gate: self.clone(),
            user: user.to_string(),
        })
    }

    /// The verifier of `user`, or for an unknown name a mock one no password matches, with a
    /// salt derived from the name.
    pub(crate) fn verifier(&self, user: &str) -> (Verifier, bool) {
        match self.config.user(user) {
            Some(known) => (known.verifier.clone(), true),
            None => {
                let salt = hmac(&self.mock_key, format!("salt {user}").as_bytes());
                let mut random = [0u8; 32];
                getrandom::fill(&mut random).expect("the operating system's random source");
                let verifier = Verifier {
                    iterations: DEFAULT_ITERATIONS,
                    salt: salt[..16].to_vec(),
                    stored_key: random,
                    server_key: random,
                };
                (verifier, false)
            }
        }
    }
}

/// A user's connection, counted until the connection ends.
pub(crate) struct UserSlot {
    gate: Arc<Gate>,
    user: String,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut counts = self.gate.per_user.lock().expect("not poisoned");
        if let Some(count) = counts.get_mut(&self.user) {
            *count = count.saturating_sub(1);
        }
    }
}

/// Where the SCRAM exchange of a connection stands.
enum Exchange {
    Started,
    /// The server-first message went out.
    Challenged {
        verifier: Verifier,
        known: bool,
        gs2_header: String,
        client_first_bare: String,
        server_first: String,
        nonce: String,
    },
    Done,
}

/// The login of one connection.
pub(crate) struct Login {
    gate: Arc<Gate>,
    /// The connection's query service, set here once the user is authenticated.
    service: Arc<OnceLock<Arc<DfSessionService>>>,
    /// Over the server's connection limit already when accepted.
    over_limit: bool,
    exchange: tokio::sync::Mutex<Exchange>,
}

impl Login {
    pub(crate) fn new(gate: Arc<Gate>, service: Arc<OnceLock<Arc<DfSessionService>>>, over_limit: bool) -> Self {
        Self {
            gate,
            service,
            over_limit,
            exchange: tokio::sync::Mutex::new(Exchange::Started),
        }
    }

    fn mechanisms(&self, secure: bool) -> Vec<String> {
        let mut mechanisms = Vec::new();
        if secure && self.gate.end_point.is_some() {
            mechanisms.push(SCRAM_PLUS.to_string());
        }
        mechanisms.push(SCRAM.to_string());
        mechanisms
    }
}

fn fatal(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), code.into(), message.into())))
}

fn authentication_failed(user: &str) -> PgWireError {
    fatal("28P01", format!("password authentication failed for user \"{user}\""))
}

fn malformed() -> PgWireError {
    fatal("08P01", "malformed SCRAM message")
}

/// The `key=value` attributes of a SCRAM message, in order.
fn attribute<'a>(parts: &mut impl Iterator<Item = &'a str>, key: char) -> PgWireResult<&'a str> {
    parts
        .next()
        .and_then(|part| part.strip_prefix(key)?.strip_prefix('='))
        .ok_or_else(malformed)
}

#[async_trait::async_trait]
impl StartupHandler for Login {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let address = client.socket_addr().ip();
        match message {
            PgWireFrontendMessage::Startup(startup) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if self.over_limit {
                    return Err(fatal("53300", "sorry, too many clients already"));
                }
                if self.gate.config.tls.is_some() && !client.is_secure() {
                    tracing::warn!(%address, "refused a connection without TLS");
                    return Err(fatal(
                        "28000",
                        "this server accepts only TLS connections: connect with sslmode=require or verify-full",
                    ));
                }
                if self.gate.locked_out(address) {
                    tracing::warn!(%address, "refused a login from a locked-out address");
                    return Err(fatal(
                        "28000",
                        "too many failed logins from this address; try again later",
                    ));
                }
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                let mechanisms = self.mechanisms(client.is_secure());
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(mechanisms)))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let user = client.metadata().get(METADATA_USER).cloned().unwrap_or_default();
                let mut exchange = self.exchange.lock().await;
                match std::mem::replace(&mut *exchange, Exchange::Done) {
                    Exchange::Started => {
                        let initial = message.into_sasl_initial_response()?;
                        let data = initial.data.as_deref().ok_or_else(malformed)?;
                        let client_first = std::str::from_utf8(data).map_err(|_| malformed())?;
                        let (next, server_first) = self.challenge(client, &user, &initial.auth_method, client_first)?;
                        *exchange = next;
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(
                                server_first.into_bytes().into(),
                            )))
                            .await?;
                    }
                    Exchange::Challenged {
                        verifier,
                        known,
                        gs2_header,
                        client_first_bare,
                        server_first,
                        nonce,
                    } => {
                        let response = message.into_sasl_response()?;
                        let client_final = std::str::from_utf8(&response.data).map_err(|_| malformed())?;
                        let (without_proof, proof) = client_final.rsplit_once(",p=").ok_or_else(malformed)?;
                        let mut parts = without_proof.split(',');
                        let binding = STANDARD.decode(attribute(&mut parts, 'c')?).map_err(|_| malformed())?;
                        let mut expected_binding = gs2_header.clone().into_bytes();
                        if gs2_header.starts_with("p=") {
                            expected_binding.extend(self.gate.end_point.as_deref().unwrap_or_default());
                        }
                        if attribute(&mut parts, 'r')? != nonce {
                            return Err(malformed());
                        }
                        let proof = STANDARD.decode(proof).map_err(|_| malformed())?;
                        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                        let signature = hmac(&verifier.stored_key, auth_message.as_bytes());
                        let client_key: Vec<u8> =
                            proof.iter().zip(signature).map(|(left, right)| left ^ right).collect();
                        let proof_holds =
                            proof.len() == 32 && Sha256::digest(&client_key)[..] == verifier.stored_key[..];
                        if binding != expected_binding {
                            self.gate.record_failure(address, &user, "channel binding mismatch");
                            return Err(fatal("28000", "SCRAM channel binding check failed"));
                        }
                        if !(known && proof_holds) {
                            self.gate
                                .record_failure(address, &user, "wrong password or unknown user");
                            return Err(authentication_failed(&user));
                        }
                        self.accept(client, &user, &verifier, &auth_message).await?;
                    }
                    Exchange::Done => return Err(malformed()),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Login {
    /// Check the client-first message and build the server-first one.
    fn challenge<C: ClientInfo>(
        &self,
        client: &C,
        user: &str,
        mechanism: &str,
        client_first: &str,
    ) -> PgWireResult<(Exchange, String)> {
        let offered_plus = client.is_secure() && self.gate.end_point.is_some();
        // gs2-header: a channel-binding flag, an (unused) authzid, then the bare message.
        let mut split = client_first.splitn(3, ',');
        let flag = split.next().ok_or_else(malformed)?;
        let authzid = split.next().ok_or_else(malformed)?;
        let client_first_bare = split.next().ok_or_else(malformed)?;
        let binding_ok = match (mechanism, flag) {
            (SCRAM_PLUS, "p=tls-server-end-point") => offered_plus,
            (SCRAM, "n") => true,
            // The client can bind but believes the server cannot: a downgrade when we offered.
            (SCRAM, "y") => !offered_plus,
            _ => false,
        };
        if !binding_ok || !authzid.is_empty() {
            self.gate.record_failure(
                client.socket_addr().ip(),
                user,
                "SCRAM mechanism or channel binding refused",
            );
            return Err(fatal(
                "28000",
                format!("SCRAM mechanism {mechanism} with this channel binding is not accepted"),
            ));
        }
        // The user name inside SCRAM is ignored, as PostgreSQL does: the startup message's counts.
        let mut parts = client_first_bare.split(',');
        let _name = attribute(&mut parts, 'n')?;
        let client_nonce = attribute(&mut parts, 'r')?;
        if client_nonce.is_empty() || client_nonce.contains(',') {
            return Err(malformed());
        }
        let mut server_nonce = [0u8; 18];
        getrandom::fill(&mut server_nonce).expect("the operating system's random source");
        let nonce = format!("{client_nonce}{}", STANDARD.encode(server_nonce));
        let (verifier, known) = self.gate.verifier(user);
        let server_first = format!(
            "r={nonce},s={},i={}",
            STANDARD.encode(&verifier.salt),
            verifier.iterations
        );
        Ok((
            Exchange::Challenged {
                verifier,
                known,
                gs2_header: format!("{flag},{authzid},"),
                client_first_bare: client_first_bare.to_string(),
                server_first: server_first.clone(),
                nonce,
            },
            server_first,
        ))
    }

    /// The proof held: prove the server, open the connection's session, finish the startup.
    async fn accept<C>(&self, client: &mut C, user: &str, verifier: &Verifier, auth_message: &str) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let address = client.socket_addr().ip();
        let known = self.gate.config.user(user).expect("a known user");
        let role = self.gate.config.role_of(known).clone();
        let Some(slot) = self.gate.admit(user) else {
            tracing::warn!(%address, user, "refused a connection over the user's limit");
            return Err(fatal("53300", format!("too many connections for user \"{user}\"")));
        };
        self.gate.record_success(address);
        let context = self
            .gate
            .zones
            .connect(&role, &self.gate.config.limits)
            .map_err(|error| fatal("XX000", error.to_string()))?;
        let hooks: Vec<Arc<dyn QueryHook>> = vec![Arc::new(AccessHook::new(
            user.to_string(),
            role,
            self.gate.config.limits.statement_timeout(),
        ))];
        let service = Arc::new(DfSessionService::new_with_hooks(Arc::new(context), hooks));
        if self.service.set(service).is_err() {
            return Err(malformed());
        }
        client.session_extensions().insert::<UserSlot>(slot);
        let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
        client
            .send(PgWireBackendMessage::Authentication(Authentication::SASLFinal(
                format!("v={}", STANDARD.encode(server_signature)).into_bytes().into(),
            )))
            .await?;
        let (pid, secret) = self.gate.pids.generate(client);
        client.set_pid_and_secret_key(pid, secret.clone());
        let (handle, guard) = self.gate.connections.register(pid, secret);
        client.session_extensions().insert(handle);
        client.session_extensions().insert(guard);
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.is_superuser = false;
        parameters.default_transaction_read_only = true;
        parameters.server_version = crate::SERVER_VERSION.to_string();
        tracing::info!(%address, user, "login");
        finish_authentication(client, &parameters).await
    }
}
