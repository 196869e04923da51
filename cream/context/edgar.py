"""SEC EDGAR filings: ticker → CIK from `company_tickers.json`, then each company's
`submissions/CIK##########.json` (the `filings.recent` column arrays).

The SEC requires a User-Agent naming the requester with a contact e-mail and allows at most
10 requests per second; both are enforced by the `JsonHttp` this adapter is given.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, Final

from cream.context.http import JsonHttp
from cream.context.models import Filing
from cream.context.payload import Payload
from cream.context.source import ContextRequest, SourceData, SourceKind, Unavailable, in_window

DEFAULT_EDGAR_DATA_URL: Final = "https://data.sec.gov"
DEFAULT_EDGAR_WWW_URL: Final = "https://www.sec.gov"
DEFAULT_FORMS: Final = ("10-K", "10-Q", "8-K")
_COLUMNS: Final = ("accessionNumber", "filingDate", "form", "primaryDocument")


class EdgarSource:
    """Recent 10-K, 10-Q and 8-K filings (configurable) of the requested symbols.

    Args:
        data_http: JSON client for `data.sec.gov` (submissions).
        www_http: JSON client for `www.sec.gov` (the ticker map).
        forms: Form types to keep.
    """

    name = "sec_edgar"
    kind = SourceKind.FILINGS

    def __init__(
        self, data_http: JsonHttp, www_http: JsonHttp, *, forms: tuple[str, ...] = DEFAULT_FORMS
    ) -> None:
        self._data = data_http
        self._www = www_http
        self._forms = frozenset(forms)
        self._ciks: dict[str, str] | None = None

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """Filings accepted within the look-back window and not after `as_of`, newest first.

        Symbols the SEC does not list are named in the notes, not silently dropped.
        """
        if not request.symbols:
            return SourceData(self.name, (), ("no symbols were requested",))
        ciks = await self._cik_map()
        filings: list[Filing] = []
        notes: list[str] = []
        for symbol in request.symbols:
            cik = ciks.get(symbol)
            if cik is None:
                notes.append(f"{symbol}: not in the SEC ticker list, no filings fetched")
                continue
            body = await self._data.get(f"/submissions/CIK{cik}.json")
            filings.extend(self._parse(symbol, cik, body, request))
        filings.sort(key=lambda f: f.filed_at, reverse=True)
        return SourceData(self.name, tuple(filings), tuple(notes))

    async def _cik_map(self) -> dict[str, str]:
        if self._ciks is None:
            p = Payload(self.name)
            body = p.obj(await self._www.get("/files/company_tickers.json"), "company_tickers")
            ciks: dict[str, str] = {}
            for key, raw in body.items():
                row = p.obj(raw, f"company_tickers.{key}")
                cik = p.number(row, "cik_str", f"company_tickers.{key}")
                if cik is None:
                    raise p.fail(f"company_tickers.{key}.cik_str", "missing")
                ciks.setdefault(p.text(row, "ticker", key).upper(), f"{int(cik):010d}")
            self._ciks = ciks
        return self._ciks

    def _parse(self, symbol: str, cik: str, body: Any, request: ContextRequest) -> list[Filing]:
        p = Payload(self.name)
        root = p.obj(body, f"submissions({cik})")
        recent = p.obj(p.obj(root.get("filings"), "filings").get("recent"), "filings.recent")
        columns = {name: p.array(recent.get(name), f"filings.recent.{name}") for name in _COLUMNS}
        count = len(columns["accessionNumber"])
        if any(len(values) != count for values in columns.values()):
            raise p.fail("filings.recent", "the column arrays have different lengths")
        optional: dict[str, list[Any]] = {}
        for name in ("acceptanceDateTime", "reportDate", "primaryDocDescription"):
            values = recent.get(name)
            if values is None:
                values = [None] * count
            if len(p.array(values, f"filings.recent.{name}")) != count:
                raise p.fail(f"filings.recent.{name}", f"expected {count} values")
            optional[name] = values
        out = []
        for i in range(count):
            row = {name: values[i] for name, values in {**columns, **optional}.items()}
            where = f"filings.recent[{i}]"
            form = p.text(row, "form", where)
            if form not in self._forms:
                continue
            filed = (
                p.moment(row, "acceptanceDateTime", where)
                if row.get("acceptanceDateTime")
                else datetime.combine(p.day(row, "filingDate", where), time(), tzinfo=UTC)
            )
            if not in_window(filed, request.since, request.as_of):
                continue
            accession = p.text(row, "accessionNumber", where)
            document = p.text(row, "primaryDocument", where)
            out.append(
                Filing(
                    source=self.name,
                    symbol=symbol,
                    cik=cik,
                    accession_number=accession,
                    form=form,
                    filed_at=filed,
                    report_date=p.day(row, "reportDate", where) if row.get("reportDate") else None,
                    description=p.optional_text(row, "primaryDocDescription", where),
                    url=f"{DEFAULT_EDGAR_WWW_URL}/Archives/edgar/data/{int(cik)}/"
                    f"{accession.replace('-', '')}/{document}",
                )
            )
        return out
