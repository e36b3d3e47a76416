//! `tollgate prices …`: import a price list into the catalog, or convert one to Tollgate's CSV.

use crate::{config::Settings, database};
use app::backend::services::directory::{self, Change, PriceImport};
use app::backend::services::organizations;
use chrono::NaiveDate;
use clap::Subcommand;
use std::path::PathBuf;
use tollgate_domain::price_import::{self, ProviderFilter, Summary};
use tollgate_domain::pricing::Price;
use tollgate_domain::Clock;

#[derive(Subcommand, Debug)]
pub enum PriceCommand {
    /// Show what a price list (a JSON price map or Tollgate's CSV) changes in the catalog; with
    /// --apply, change it.
    Import {
        file: PathBuf,
        /// Apply the changes (without it, nothing changes).
        #[arg(long)]
        apply: bool,
        /// Take only these providers, comma-separated (default: every provider in the file).
        #[arg(long, default_value = "")]
        providers: String,
        /// The first day (YYYY-MM-DD, UTC) the new prices apply to; default: now.
        #[arg(long)]
        from: Option<NaiveDate>,
    },
    /// Print a price list as Tollgate's CSV (for example a JSON price map, to review or edit).
    Convert {
        file: PathBuf,
        #[arg(long, default_value = "")]
        providers: String,
    },
}

pub async fn run(command: PriceCommand, settings: &Settings, clock: &dyn Clock) -> anyhow::Result<()> {
    match command {
        PriceCommand::Import { file, apply, providers, from } => {
            let text = read(&file)?;
            let db = database::connect(&settings.database_url()).await?;
            database::migrate(&db).await?;
            let org = organizations::first_organization(&db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organization yet: run create-admin or seed-demo first"))?;
            let import = PriceImport {
                text: &text,
                providers: &providers,
                effective_from: from.map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc()),
                apply,
            };
            let change = Change { actor: "command line", now: clock.now() };
            let summary = directory::import_prices(&db, org.id, import, change).await?;
            print!("{}", report(&summary, &file.display().to_string()));
        }
        PriceCommand::Convert { file, providers } => {
            let list = price_import::read(&read(&file)?, &ProviderFilter::parse(&providers))
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            out.write_record(price_import::CSV_HEADER)?;
            for listed in &list.prices {
                out.write_record(price_import::csv_row(&listed.provider, &listed.model, &listed.price))?;
            }
            out.flush()?;
            eprintln!("{} price(s) written, {} entr(ies) left out.", list.prices.len(), list.skipped.len());
        }
    }
    Ok(())
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))
}

/// What an import changed or would change, as lines for a terminal.
pub fn report(summary: &Summary, file: &str) -> String {
    let plan = &summary.plan;
    let from = summary.effective_from.format("%Y-%m-%d %H:%M UTC");
    let mut out = format!(
        "{file}: a {} of {} price(s).\n",
        summary.format.label(),
        plan.new.len() + plan.changed.len() + plan.unchanged
    );
    for listed in &plan.new {
        out += &format!("  new      {}/{}: {}\n", listed.provider, listed.model, shown(&listed.price));
    }
    for repriced in &plan.changed {
        let listed = &repriced.listed;
        out += &format!(
            "  changed  {}/{}: {} (was {})\n",
            listed.provider,
            listed.model,
            shown(&listed.price),
            shown(&repriced.before)
        );
    }
    out += &format!(
        "{} new, {} changed, {} unchanged, {} left out (not priced by the token or listed twice).\n",
        plan.new.len(),
        plan.changed.len(),
        plan.unchanged,
        summary.skipped.len()
    );
    out += &match (summary.applied, plan.new.len() + plan.changed.len()) {
        (_, 0) => "Nothing to change: the catalog already holds these prices.\n".to_owned(),
        (true, n) => format!("Applied: {n} price(s) in force from {from}; earlier usage keeps its prices.\n"),
        (false, n) => {
            format!("Dry run: nothing changed. Run again with --apply to put {n} price(s) in force from {from}.\n")
        }
    };
    out
}

fn shown(price: &Price) -> String {
    let mut text = format!(
        "{} in / {} out per M {}",
        price.input_per_mtok.normalize(),
        price.output_per_mtok.normalize(),
        price.currency
    );
    for part in price.billed_apart() {
        text += &format!(", {part}");
    }
    text
}
