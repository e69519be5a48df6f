//! The middleware in front of every endpoint: it establishes the caller once per request, so
//! presented but invalid credentials are a 401 everywhere, public endpoints included.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};

use crate::auth::authenticate;

/// Authenticates the request and stores the [`crate::auth::Caller`] in its extensions for the
/// extractors; refused credentials end the request with a 401.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // The clone must be gone before routing, which needs the request uniquely.
    let outcome = {
        let http = req.request().clone();
        authenticate(&http).await
    };
    match outcome {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(err) => {
            let response = err.error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}
