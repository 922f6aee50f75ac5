//! SigV4 against AWS's published "Signature Version 4 Test Suite" (aws-sig-v4-test-suite,
//! AWS General Reference; the files `<case>.req/.creq/.sts/.authz`). Inputs and expected
//! canonical request, string to sign and `Authorization` are transcribed from the suite:
//! credentials `AKIDEXAMPLE` / `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, region
//! `us-east-1`, service `service`, time `20150830T123600Z`.
//!
//! Each case is checked three ways: the canonical request of the request as the suite gives it
//! (with its `X-Amz-Date` header), the string to sign, and `sign()` on the request *without*
//! `X-Amz-Date` (which `sign` adds itself), compared with the suite's `.authz`.

use ai_proxy::auth::sigv4::{self, AwsCredentials, SignableRequest, SigningParams, ALGORITHM};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z
const TIME: u64 = 1_440_938_160;
const AMZ_DATE: &str = "20150830T123600Z";
const SCOPE: &str = "20150830/us-east-1/service/aws4_request";
const STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Vector {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    /// Request headers other than `X-Amz-Date` (and the session token).
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    creq: &'static str,
    /// Last line of `.sts` (SHA-256 of the canonical request).
    sts_hash: &'static str,
    authz: &'static str,
}

const HOST: (&str, &str) = ("Host", "example.amazonaws.com");

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "get-vanilla",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "get-vanilla-query-order-key-case",
            method: "GET",
            path: "/",
            query: &[("Param2", "value2"), ("Param1", "value1")],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        },
        Vector {
            name: "get-vanilla-query-unreserved",
            method: "GET",
            path: "/",
            query: &[(
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            )],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        },
        Vector {
            name: "get-vanilla-utf8-query",
            method: "GET",
            path: "/",
            query: &[("\u{1234}", "bar")],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        },
        Vector {
            name: "get-utf8",
            method: "GET",
            path: "/\u{1234}",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        },
        Vector {
            name: "get-unreserved",
            method: "GET",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        },
        Vector {
            name: "get-header-value-trim",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[
                HOST,
                ("My-Header1", " value1"),
                ("My-Header2", " \"a   b   c\""),
            ],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        },
        Vector {
            name: "get-header-key-duplicate",
            method: "GET",
            path: "/",
            query: &[],
            headers: &[
                HOST,
                ("My-Header1", "value2"),
                ("My-Header1", "value2"),
                ("My-Header1", "value1"),
            ],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        },
        Vector {
            name: "normalize-path/get-space",
            method: "GET",
            path: "/example space/",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        },
        Vector {
            name: "normalize-path/get-slashes",
            method: "GET",
            path: "//example//",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        },
        Vector {
            name: "normalize-path/get-slash",
            method: "GET",
            path: "//",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "normalize-path/get-slash-dot-slash",
            method: "GET",
            path: "/./",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "normalize-path/get-slash-pointless-dot",
            method: "GET",
            path: "/./example",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
        },
        Vector {
            name: "normalize-path/get-relative-relative",
            method: "GET",
            path: "/example1/example2/../..",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        },
        Vector {
            name: "post-vanilla",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[HOST],
            body: "",
            creq: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        },
        Vector {
            name: "post-vanilla-query",
            method: "POST",
            path: "/",
            query: &[("Param1", "value1")],
            headers: &[HOST],
            body: "",
            creq: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        },
        Vector {
            name: "post-header-key-sort",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[HOST, ("My-Header1", "value1")],
            body: "",
            creq: "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            sts_hash: "",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        },
        // The suite's `.creq` for this case also lists `content-length:13`, but its `.sts` hash
        // and `.authz` (SignedHeaders=content-type;host;x-amz-date) were computed without it:
        // the canonical request below is the one whose SHA-256 is the published `.sts` hash.
        Vector {
            name: "post-x-www-form-urlencoded",
            method: "POST",
            path: "/",
            query: &[],
            headers: &[("Content-Type", "application/x-www-form-urlencoded"), HOST],
            body: "Param1=value1",
            creq: "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            sts_hash: "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
            authz: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        },
    ]
}

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn creds(token: Option<&'static str>) -> AwsCredentials<'static> {
    AwsCredentials {
        access_key_id: AKID,
        secret_access_key: SECRET,
        session_token: token,
    }
}

fn params() -> SigningParams<'static> {
    SigningParams {
        region: "us-east-1",
        service: "service",
        unix_time: TIME,
        content_sha256_header: false,
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn aws_test_suite_vectors() {
    let all = vectors();
    assert!(all.len() >= 6);
    for v in &all {
        let query = owned(v.query);
        // As the suite gives the request: with its X-Amz-Date header.
        let mut with_date = owned(v.headers);
        with_date.push(("X-Amz-Date".into(), AMZ_DATE.into()));
        let creq = sigv4::canonical_request(&SignableRequest {
            method: v.method,
            path: v.path,
            query: &query,
            headers: &with_date,
            body: v.body.as_bytes(),
        });
        assert_eq!(creq.text, v.creq, "{}: canonical request", v.name);

        let sts = sigv4::string_to_sign(AMZ_DATE, SCOPE, &creq.text);
        let mut lines = sts.lines();
        assert_eq!(lines.next(), Some(ALGORITHM), "{}: sts", v.name);
        assert_eq!(lines.next(), Some(AMZ_DATE), "{}: sts", v.name);
        assert_eq!(lines.next(), Some(SCOPE), "{}: sts", v.name);
        if !v.sts_hash.is_empty() {
            assert_eq!(lines.next(), Some(v.sts_hash), "{}: sts hash", v.name);
        }

        // sign() adds X-Amz-Date itself.
        let headers = owned(v.headers);
        let added = sigv4::sign(
            &SignableRequest {
                method: v.method,
                path: v.path,
                query: &query,
                headers: &headers,
                body: v.body.as_bytes(),
            },
            &creds(None),
            &params(),
        )
        .unwrap();
        assert_eq!(header(&added, "X-Amz-Date"), Some(AMZ_DATE), "{}", v.name);
        assert_eq!(
            header(&added, "Authorization"),
            Some(v.authz),
            "{}: authorization",
            v.name
        );
        assert_eq!(header(&added, "X-Amz-Security-Token"), None);
    }
}

/// `post-sts-token/post-sts-header-before`: the session token is part of the canonical
/// request (what `sign` does with a session token).
#[test]
fn sts_token_signed_before() {
    let headers = owned(&[HOST]);
    let req = SignableRequest {
        method: "POST",
        path: "/",
        query: &[],
        headers: &headers,
        body: b"",
    };
    let added = sigv4::sign(&req, &creds(Some(STS_TOKEN)), &params()).unwrap();
    assert_eq!(header(&added, "X-Amz-Security-Token"), Some(STS_TOKEN));
    assert_eq!(
        header(&added, "Authorization"),
        Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")
    );

    let mut full = owned(&[HOST, ("X-Amz-Date", AMZ_DATE)]);
    full.push(("X-Amz-Security-Token".into(), STS_TOKEN.into()));
    let creq = sigv4::canonical_request(&SignableRequest {
        headers: &full,
        ..req
    });
    assert_eq!(
        creq.text,
        format!("POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:{STS_TOKEN}\n\nhost;x-amz-date;x-amz-security-token\n{EMPTY_SHA}")
    );
    let sts = sigv4::string_to_sign(AMZ_DATE, SCOPE, &creq.text);
    assert!(sts.ends_with("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"));
}

/// `post-sts-token/post-sts-header-after`: the token is added after signing, so the signature
/// is post-vanilla's. Signing without the token and appending it gives exactly that.
#[test]
fn sts_token_added_after() {
    let headers = owned(&[HOST]);
    let added = sigv4::sign(
        &SignableRequest {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        },
        &creds(None),
        &params(),
    )
    .unwrap();
    assert_eq!(
        header(&added, "Authorization"),
        Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    );
}

/// Headers `sign` owns are replaced, not duplicated, when the input already has them.
#[test]
fn owned_headers_in_input_are_ignored() {
    let headers = owned(&[
        HOST,
        ("X-Amz-Date", "19990101T000000Z"),
        ("Authorization", "stale"),
    ]);
    let added = sigv4::sign(
        &SignableRequest {
            method: "GET",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"",
        },
        &creds(None),
        &params(),
    )
    .unwrap();
    assert_eq!(
        header(&added, "Authorization"),
        Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    );
}

#[test]
fn content_sha256_header_is_signed_when_asked() {
    let headers = owned(&[HOST]);
    let mut p = params();
    p.content_sha256_header = true;
    let added = sigv4::sign(
        &SignableRequest {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body: b"Param1=value1",
        },
        &creds(None),
        &p,
    )
    .unwrap();
    assert_eq!(
        header(&added, "X-Amz-Content-Sha256"),
        Some("9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
    );
    let authz = header(&added, "Authorization").unwrap();
    assert!(authz.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
}

#[test]
fn missing_inputs_are_errors_without_secrets() {
    let headers = owned(&[HOST]);
    let req = SignableRequest {
        method: "POST",
        path: "/",
        query: &[],
        headers: &headers,
        body: b"",
    };
    let no_secret = AwsCredentials {
        access_key_id: AKID,
        secret_access_key: "",
        session_token: None,
    };
    let e = sigv4::sign(&req, &no_secret, &params()).unwrap_err();
    assert_eq!(e.to_string(), "AWS secret access key not configured");
    let mut p = params();
    p.region = "";
    let e = sigv4::sign(&req, &creds(None), &p).unwrap_err();
    assert_eq!(e.to_string(), "AWS region not specified anywhere");
    assert!(!e.to_string().contains(SECRET));
    let none: Vec<(String, String)> = Vec::new();
    let e = sigv4::sign(
        &SignableRequest {
            headers: &none,
            ..req
        },
        &creds(None),
        &params(),
    )
    .unwrap_err();
    assert_eq!(e, sigv4::SigV4Error::MissingHost);
}
