"""One fake server for the external-context APIs, answering from recorded responses.

- FMP `stable` API: `/stable/news/stock`, `/stable/economic-calendar`,
  `/stable/earnings-calendar`; the `apikey` query parameter must be `FMP_KEY` (else 401 with
  FMP's `Error Message` body).
- Kalshi trade API v2: `/trade-api/v2/markets?series_ticker=KXFED` (other series: empty).
- Polymarket gamma: `/markets`.
- SEC EDGAR: `/files/company_tickers.json` and the submissions of AAPL and MSFT; requests
  without a User-Agent containing an e-mail get 403, as from the SEC.
"""

from __future__ import annotations

from tests.fakes.http_server import FakeHttpServer, Reply, Request, recording

FMP_KEY = "fmp-test-key"
USER_AGENT = "Cream tests ops@example.com"


def _fmp(name: str):
    body = recording(name)

    def handler(request: Request) -> Reply:
        if request.query.get("apikey") != [FMP_KEY]:
            return Reply(
                401,
                {
                    "Error Message": "Invalid API KEY. Feel free to create a Free API Key or "
                    "visit https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid"
                },
            )
        return Reply(200, body)

    return handler


def _kalshi(request: Request) -> Reply:
    if request.query.get("series_ticker") == ["KXFED"]:
        return Reply(200, recording("kalshi_markets_kxfed.json"))
    return Reply(200, {"cursor": "", "markets": []})


def _sec(name: str):
    body = recording(name)

    def handler(request: Request) -> Reply:
        if "@" not in request.headers.get("user-agent", ""):
            return Reply(
                403,
                raw=b"<html><body>Your Request Originates from an Undeclared Automated Tool"
                b"</body></html>",
            )
        return Reply(200, body)

    return handler


def context_server() -> FakeHttpServer:
    """A server with every context route."""
    return FakeHttpServer(
        {
            ("GET", "/stable/news/stock"): _fmp("fmp_news_stock.json"),
            ("GET", "/stable/economic-calendar"): _fmp("fmp_economic_calendar.json"),
            ("GET", "/stable/earnings-calendar"): _fmp("fmp_earnings_calendar.json"),
            ("GET", "/trade-api/v2/markets"): _kalshi,
            ("GET", "/markets"): lambda _r: Reply(200, recording("polymarket_markets.json")),
            ("GET", "/files/company_tickers.json"): _sec("edgar_company_tickers.json"),
            ("GET", "/submissions/CIK0000320193.json"): _sec(
                "edgar_submissions_CIK0000320193.json"
            ),
            ("GET", "/submissions/CIK0000789019.json"): _sec(
                "edgar_submissions_CIK0000789019.json"
            ),
        }
    )
