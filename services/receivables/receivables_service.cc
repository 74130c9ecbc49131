// Receivables RPCs: validate the request (messages name the field), read the projection
// as of the requested day and record time, run the pure analytics on it and copy the
// report into the response.
#include "services/receivables/receivables_service.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "services/grpc_status.h"
#include "services/projection/projection_rpc.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_view.h"
#include "services/request_fields.h"

namespace sixhearts::services::receivables {
namespace {

using ::sixhearts::services::CheckEnum;
using ::sixhearts::services::DayOrToday;
using ::sixhearts::services::KnownAt;

constexpr int kDefaultPromiseToleranceDays = 3;
constexpr int kDefaultCountbackMonths = 36;

grpc::Status NotReady() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the receivables projection is still loading; retry shortly");
}

// Reads the projection as the books stood at the end of `day` and as the ledger knew them
// at `known_at`, and hands the state and the last position included to `use`.
template <typename Use>
absl::Status ReadState(projection::ProjectionEngine* engine, absl::CivilDay day,
                       std::optional<absl::Time> known_at, Use use) {
  projection::AsOf as_of;
  as_of.business_day = day;
  as_of.known_at = known_at;
  return engine->Read(as_of, [&](const projection::Fold& fold, uint64_t position) {
    // The engine only ever holds folds made by MakeReceivablesFoldFactory().
    return use(static_cast<const ReceivablesFold&>(fold).state(), position);
  });
}

int32_t Days(int64_t days) { return static_cast<int32_t>(days); }

// ------------------------------------------------------------------------------ aging

absl::StatusOr<AgingOptions> ToAgingOptions(const v1::AgingRequest& request) {
  AgingOptions options;
  const auto& bounds = request.bucket_upper_bounds_days();
  if (!bounds.empty()) {
    if (static_cast<size_t>(bounds.size()) + 1 > kMaxAgingBuckets) {
      return absl::InvalidArgumentError(absl::StrCat("bucket_upper_bounds_days: at most ",
                                                     kMaxAgingBuckets - 1, " bounds, got ",
                                                     bounds.size()));
    }
    for (int i = 0; i < bounds.size(); ++i) {
      if (bounds[i] < -kMaxAgingBoundDays || bounds[i] > kMaxAgingBoundDays) {
        return absl::InvalidArgumentError(
            absl::StrCat("bucket_upper_bounds_days[", i, "]: ", bounds[i], " is outside [",
                         -kMaxAgingBoundDays, ", ", kMaxAgingBoundDays, "]"));
      }
    }
    for (int i = 1; i < bounds.size(); ++i) {
      if (bounds[i] <= bounds[i - 1]) {
        return absl::InvalidArgumentError(
            absl::StrCat("bucket_upper_bounds_days: must be strictly ascending, but ", bounds[i],
                         " follows ", bounds[i - 1]));
      }
    }
    options.bucket_upper_bounds_days.assign(bounds.begin(), bounds.end());
  }
  if (absl::Status s = CheckEnum(request.group_by(), v1::AgingGroupBy_IsValid, "group_by");
      !s.ok()) {
    return s;
  }
  switch (request.group_by()) {
    case v1::AGING_GROUP_BY_UNSPECIFIED:
    case v1::AGING_GROUP_BY_CLIENT:
      options.group_by = AgingGroupBy::kClient;
      break;
    case v1::AGING_GROUP_BY_ACCOUNT_OWNER:
      options.group_by = AgingGroupBy::kAccountOwner;
      break;
    case v1::AGING_GROUP_BY_JURISDICTION:
      options.group_by = AgingGroupBy::kJurisdiction;
      break;
    case v1::AGING_GROUP_BY_CLIENT_KIND:
      options.group_by = AgingGroupBy::kClientKind;
      break;
    case v1::AGING_GROUP_BY_CURRENCY:
      options.group_by = AgingGroupBy::kCurrency;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("group_by: unknown value ", static_cast<int>(request.group_by())));
  }
  options.include_lines = request.include_invoices();
  return options;
}

void ToProto(const AgingRow& row, v1::AgingRow* out) {
  out->set_group(row.group);
  out->set_currency(row.currency);
  for (int64_t v : row.outstanding_by_bucket_minor) out->add_outstanding_by_bucket_minor(v);
  for (int64_t v : row.disputed_by_bucket_minor) out->add_disputed_by_bucket_minor(v);
  out->set_outstanding_minor(row.outstanding_minor);
  out->set_disputed_minor(row.disputed_minor);
  out->set_unapplied_cash_minor(row.unapplied_cash_minor);
  out->set_standalone_credit_minor(row.standalone_credit_minor);
  out->set_net_minor(row.net_minor);
  for (const AgingInvoiceLine& line : row.invoice_lines) {
    v1::AgingInvoiceLine* invoice = out->add_invoices();
    invoice->set_client_id(line.client_id);
    invoice->set_invoice_id(line.invoice_id);
    invoice->set_currency(line.currency);
    *invoice->mutable_due_date() = ledger::FromCivilDay(line.due_date);
    invoice->set_age_days(Days(line.age_days));
    invoice->set_bucket(static_cast<int32_t>(line.bucket));
    invoice->set_outstanding_minor(line.outstanding_minor);
    invoice->set_disputed_minor(line.disputed_minor);
  }
  for (const AgingCreditLine& line : row.credit_lines) {
    v1::AgingCreditLine* credit = out->add_credits();
    credit->set_client_id(line.client_id);
    credit->set_kind(line.kind == CreditLineKind::kUnappliedCash
                         ? v1::AGING_CREDIT_KIND_UNAPPLIED_CASH
                         : v1::AGING_CREDIT_KIND_STANDALONE_CREDIT);
    credit->set_source_id(line.source_id);
    credit->set_currency(line.currency);
    *credit->mutable_dated() = ledger::FromCivilDay(line.dated);
    credit->set_amount_minor(line.amount_minor);
  }
}

void ToProto(const AgingReport& report, v1::AgingResponse* out) {
  *out->mutable_as_of() = ledger::FromCivilDay(report.as_of);
  for (const AgingBucket& bucket : report.buckets) {
    v1::AgingBucket* b = out->add_buckets();
    b->set_label(bucket.label);
    if (bucket.lower_bound_days.has_value())
      b->set_lower_bound_days(Days(*bucket.lower_bound_days));
    if (bucket.upper_bound_days.has_value())
      b->set_upper_bound_days(Days(*bucket.upper_bound_days));
  }
  for (const AgingRow& row : report.rows) ToProto(row, out->add_rows());
  for (const AgingRow& row : report.totals) ToProto(row, out->add_totals());
}

// -------------------------------------------------------------------------- promises

v1::PromiseStatus ToProto(PromiseStatus status) {
  switch (status) {
    case PromiseStatus::kOpen:
      return v1::PROMISE_STATUS_OPEN;
    case PromiseStatus::kKept:
      return v1::PROMISE_STATUS_KEPT;
    case PromiseStatus::kPartiallyKept:
      return v1::PROMISE_STATUS_PARTIALLY_KEPT;
    case PromiseStatus::kBroken:
      return v1::PROMISE_STATUS_BROKEN;
  }
  return v1::PROMISE_STATUS_UNSPECIFIED;
}

void ToProto(const PromiseLine& line, v1::PromiseLine* out) {
  out->set_client_id(line.client_id);
  out->set_promise_id(line.promise_id);
  out->set_currency(line.currency);
  out->set_amount_minor(line.amount_minor);
  *out->mutable_made_on() = ledger::FromCivilDay(line.made_on);
  *out->mutable_promised_date() = ledger::FromCivilDay(line.promised_date);
  *out->mutable_judged_on() = ledger::FromCivilDay(line.judged_on);
  for (const std::string& id : line.invoice_ids) out->add_invoice_ids(id);
  out->set_received_minor(line.received_minor);
  out->set_status(ToProto(line.status));
}

// -------------------------------------------------------------------------- disputes

void ToProto(const DisputeLine& line, v1::DisputeLine* out) {
  out->set_client_id(line.client_id);
  out->set_dispute_id(line.dispute_id);
  out->set_invoice_id(line.invoice_id);
  out->set_currency(line.currency);
  out->set_amount_minor(line.amount_minor);
  out->set_reason(line.reason);
  *out->mutable_opened_on() = ledger::FromCivilDay(line.opened_on);
  if (line.resolution.has_value()) {
    out->set_outcome(line.resolution->outcome);
    out->set_conceded_minor(line.resolution->conceded_minor);
    *out->mutable_resolved_on() = ledger::FromCivilDay(line.resolution->resolved_on);
  }
}

}  // namespace

grpc::Status ReceivablesService::Aging(grpc::ServerContext* /*context*/,
                                       const v1::AgingRequest* request,
                                       v1::AgingResponse* response) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  absl::StatusOr<absl::CivilDay> as_of =
      DayOrToday(request->has_as_of(), request->as_of(), "as_of", clock_);
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  absl::StatusOr<std::optional<absl::Time>> known_at =
      KnownAt(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());
  absl::StatusOr<AgingOptions> options = ToAgingOptions(*request);
  if (!options.ok()) return ToGrpcStatus(options.status());

  projection::AsOf cut;
  cut.business_day = *as_of;
  cut.known_at = *known_at;
  // A stored view reads the items its index lists as maybe open, client by client; a
  // whole fold (or a view behind the cut) is read whole.
  absl::StatusOr<bool> streamed = engine->ReadViewCut(
      cut, [&](const projection::ViewCut& view, uint64_t position) -> absl::Status {
        absl::StatusOr<AgingReport> report = StoredAging(view, *as_of, *options);
        if (!report.ok()) return report.status();
        ToProto(*report, response);
        response->set_position(position);
        return absl::OkStatus();
      });
  if (!streamed.ok()) return ToGrpcStatus(streamed.status());
  absl::Status status = *streamed
                            ? absl::OkStatus()
                            : ReadState(engine, *as_of, *known_at,
                                        [&](const ReceivablesState& state, uint64_t position) {
                                          absl::StatusOr<AgingReport> report =
                                              ComputeAging(state, *as_of, *options);
                                          if (!report.ok()) return report.status();
                                          ToProto(*report, response);
                                          response->set_position(position);
                                          return absl::OkStatus();
                                        });
  if (!status.ok()) return ToGrpcStatus(status);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  if (absl::Status s = engine->store().OpenViewTexts(response); !s.ok()) return ToGrpcStatus(s);
  return grpc::Status::OK;
}

grpc::Status ReceivablesService::Dso(grpc::ServerContext* /*context*/,
                                     const v1::DsoRequest* request, v1::DsoResponse* response) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  if (!request->has_from() || ledger::IsUnsetDate(request->from())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "from: required (the first day of the period)");
  }
  absl::StatusOr<absl::CivilDay> from = DayOrToday(true, request->from(), "from", clock_);
  if (!from.ok()) return ToGrpcStatus(from.status());
  absl::StatusOr<absl::CivilDay> to = DayOrToday(request->has_to(), request->to(), "to", clock_);
  if (!to.ok()) return ToGrpcStatus(to.status());
  if (*from > *to) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("from: after to (", ledger::FormatDay(*from), " > ",
                                     ledger::FormatDay(*to), ")"));
  }
  absl::StatusOr<std::optional<absl::Time>> known_at =
      KnownAt(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());
  DsoOptions options;
  if (absl::Status s = CheckEnum(request->method(), v1::DsoMethod_IsValid, "method"); !s.ok()) {
    return ToGrpcStatus(s);
  }
  switch (request->method()) {
    case v1::DSO_METHOD_UNSPECIFIED:
    case v1::DSO_METHOD_COUNTBACK:
      options.method = DsoMethod::kCountback;
      break;
    case v1::DSO_METHOD_SIMPLE:
      options.method = DsoMethod::kSimple;
      break;
    default:
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("method: unknown value ", static_cast<int>(request->method())));
  }
  if (request->countback_max_months() < 0 ||
      request->countback_max_months() > kMaxCountbackMonths) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("countback_max_months: must be in [0, ", kMaxCountbackMonths,
                                     "] (0: ", kDefaultCountbackMonths, "), got ",
                                     request->countback_max_months()));
  }
  options.countback_max_months = request->countback_max_months() == 0
                                     ? kDefaultCountbackMonths
                                     : request->countback_max_months();

  absl::Status status =
      ReadState(engine, *to, *known_at, [&](const ReceivablesState& state, uint64_t position) {
        absl::StatusOr<std::vector<DsoReport>> reports = ComputeDso(state, *from, *to, options);
        if (!reports.ok()) return reports.status();
        std::map<std::string, v1::DsoCurrencyReport*> by_currency;
        for (const DsoReport& report : *reports) {
          v1::DsoCurrencyReport* out = response->add_currencies();
          by_currency[report.currency] = out;
          out->set_currency(report.currency);
          out->set_credit_sales_minor(report.credit_sales_minor);
          out->set_beginning_ar_minor(report.beginning_ar_minor);
          out->set_ending_ar_minor(report.ending_ar_minor);
          out->set_ending_current_ar_minor(report.ending_current_ar_minor);
          if (report.simple_dso_days) out->set_simple_dso_days(*report.simple_dso_days);
          if (report.countback_dso_days) out->set_countback_dso_days(*report.countback_dso_days);
          out->set_countback_months_walked(report.countback_months_walked);
          out->set_countback_sales_exhausted(report.countback_sales_exhausted);
          if (report.dso_days) out->set_dso_days(*report.dso_days);
          if (report.best_possible_dso_days) {
            out->set_best_possible_dso_days(*report.best_possible_dso_days);
          }
          if (report.average_days_delinquent) {
            out->set_average_days_delinquent(*report.average_days_delinquent);
          }
          if (report.cei_percent) out->set_cei_percent(*report.cei_percent);
        }
        // Days late only covers invoices issued by `to`, and so does every DSO report, so
        // each currency here already has its report; one is added should that ever change.
        for (const DaysLateReport& late : ComputeAverageDaysLate(state, *to)) {
          v1::DsoCurrencyReport*& out = by_currency[late.currency];
          if (out == nullptr) {
            out = response->add_currencies();
            out->set_currency(late.currency);
          }
          if (late.average_days_late) out->set_average_days_late(*late.average_days_late);
          out->set_days_late_invoice_count(late.invoice_count);
          out->set_days_late_billed_minor(late.billed_minor);
        }
        response->set_position(position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_from() = ledger::FromCivilDay(*from);
  *response->mutable_to() = ledger::FromCivilDay(*to);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  response->set_period_days(Days(*to - *from + 1));
  response->set_method(options.method == DsoMethod::kSimple ? v1::DSO_METHOD_SIMPLE
                                                            : v1::DSO_METHOD_COUNTBACK);
  return grpc::Status::OK;
}

grpc::Status ReceivablesService::Promises(grpc::ServerContext* /*context*/,
                                          const v1::PromisesRequest* request,
                                          v1::PromisesResponse* response) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  absl::StatusOr<absl::CivilDay> as_of =
      DayOrToday(request->has_as_of(), request->as_of(), "as_of", clock_);
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  absl::StatusOr<std::optional<absl::Time>> known_at =
      KnownAt(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());
  PromiseOptions options;
  options.tolerance_days =
      request->has_tolerance_days() ? request->tolerance_days() : kDefaultPromiseToleranceDays;
  if (options.tolerance_days < 0 || options.tolerance_days > kMaxPromiseToleranceDays) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("tolerance_days: must be in [0, ", kMaxPromiseToleranceDays,
                                     "], got ", options.tolerance_days));
  }

  absl::Status status =
      ReadState(engine, *as_of, *known_at, [&](const ReceivablesState& state, uint64_t position) {
        absl::StatusOr<PromiseReport> report = ComputePromises(state, *as_of, options);
        if (!report.ok()) return report.status();
        for (const PromiseLine& line : report->open) ToProto(line, response->add_open());
        for (const PromiseLine& line : report->judged) ToProto(line, response->add_judged());
        response->set_kept_count(report->kept_count);
        response->set_partially_kept_count(report->partially_kept_count);
        response->set_broken_count(report->broken_count);
        if (report->broken_rate) response->set_broken_rate(*report->broken_rate);
        response->set_position(position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = ledger::FromCivilDay(*as_of);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  response->set_tolerance_days(static_cast<int32_t>(options.tolerance_days));
  if (absl::Status s = engine->store().OpenViewTexts(response); !s.ok()) return ToGrpcStatus(s);
  return grpc::Status::OK;
}

grpc::Status ReceivablesService::Disputes(grpc::ServerContext* /*context*/,
                                          const v1::DisputesRequest* request,
                                          v1::DisputesResponse* response) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  absl::StatusOr<absl::CivilDay> as_of =
      DayOrToday(request->has_as_of(), request->as_of(), "as_of", clock_);
  if (!as_of.ok()) return ToGrpcStatus(as_of.status());
  absl::StatusOr<std::optional<absl::Time>> known_at =
      KnownAt(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());

  absl::Status status =
      ReadState(engine, *as_of, *known_at, [&](const ReceivablesState& state, uint64_t position) {
        const DisputeReport report = ComputeDisputes(state, *as_of);
        for (const DisputeLine& line : report.open) ToProto(line, response->add_open());
        for (const DisputeLine& line : report.resolved) ToProto(line, response->add_resolved());
        response->set_position(position);
        return absl::OkStatus();
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response->mutable_as_of() = ledger::FromCivilDay(*as_of);
  if (request->has_known_at()) *response->mutable_known_at() = request->known_at();
  if (absl::Status s = engine->store().OpenViewTexts(response); !s.ok()) return ToGrpcStatus(s);
  return grpc::Status::OK;
}

grpc::Status ReceivablesService::ProjectionStatus(grpc::ServerContext* /*context*/,
                                                  const v1::ProjectionStatusRequest* /*request*/,
                                                  v1::ProjectionStatusResponse* response) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  projection::FillStatus(*engine, response);
  return grpc::Status::OK;
}

grpc::Status ReceivablesService::Rebuild(grpc::ServerContext* /*context*/,
                                         const v1::RebuildRequest* /*request*/,
                                         grpc::ServerWriter<v1::RebuildResponse>* writer) {
  projection::ProjectionEngine* engine = engine_.load();
  if (engine == nullptr) return NotReady();
  return projection::StreamRebuild(engine, writer);
}

}  // namespace sixhearts::services::receivables
