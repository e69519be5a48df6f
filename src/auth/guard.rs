//! The middleware in front of every endpoint: it establishes the caller once per request, so
//! presented but invalid credentials are a 401 everywhere, public endpoints included, and
//! applies the rate limits: per partner key, per signed-in user, and per client address
//! (`crate::http::client`) for callers without credentials.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};

use crate::auth::ratelimit::{Decision, EXEMPT_PATHS};
use crate::auth::users::KeyRate;
use crate::auth::{Caller, authenticate};
use crate::http::client::client_address;
use crate::state::AppState;

/// Authenticates the request, stores the [`Caller`] in its extensions for the extractors and
/// counts it against its rate limit; refused credentials are a 401, an exhausted limit a 429.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // The clone must be gone before routing, which needs the request uniquely.
    let outcome = {
        let http = req.request().clone();
        authenticate(&http).await
    };
    let caller = match outcome {
        Ok(caller) => caller,
        Err(err) => {
            let response = err.error_response();
            return Ok(req.into_response(response).map_into_right_body());
        }
    };
    let decision = limit(&req, &caller);
    req.extensions_mut().insert(caller);
    match decision {
        Some(decision) if !decision.allowed => {
            let response = decision.refusal("too many requests; retry after the time given");
            Ok(req.into_response(response).map_into_right_body())
        }
        Some(decision) => {
            let mut response = next.call(req).await?;
            decision.announce(response.headers_mut());
            Ok(response.map_into_left_body())
        }
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

fn limit(req: &ServiceRequest, caller: &Caller) -> Option<Decision> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let limits = &state.auth.limits;
    match caller {
        Caller::User(user) => {
            if EXEMPT_PATHS.contains(&req.path()) {
                return None;
            }
            limits.check_user(&user.id)
        }
        Caller::Partner(partner) => {
            let rate = req.extensions().get::<KeyRate>().map(|r| r.0)?;
            limits.check_key(&partner.key_id, rate)
        }
        Caller::Anonymous => {
            if EXEMPT_PATHS.contains(&req.path()) {
                return None;
            }
            limits.check_address(client_address(req.request())?)
        }
    }
}
