package synth

import (
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// ParquetRowGroupRows is the number of rows per row group WriteParquet writes, so that a large
// data set has several row groups, as warehouse exports do.
const ParquetRowGroupRows = 100_000

// parquetProfile is a row of WriteParquet's file: the Columns with their types (strings are
// STRING, lifetime_value DOUBLE, marketing_opt_in BOOLEAN; signup_date stays a string).
type parquetProfile struct {
	Email               string  `parquet:"email"`
	FirstName           string  `parquet:"first_name"`
	LastName            string  `parquet:"last_name"`
	Country             string  `parquet:"country"`
	StateProvinceRegion string  `parquet:"state_province_region"`
	City                string  `parquet:"city"`
	PostalCode          string  `parquet:"postal_code"`
	Plan                string  `parquet:"plan"`
	LifetimeValue       float64 `parquet:"lifetime_value"`
	SignupDate          string  `parquet:"signup_date"`
	MarketingOptIn      bool    `parquet:"marketing_opt_in"`
}

// WriteParquet writes the data set as a Snappy-compressed Parquet file with the Columns, in
// row groups of ParquetRowGroupRows rows.
func (g *Generator) WriteParquet(w io.Writer) error {
	pw := parquet.NewGenericWriter[parquetProfile](w, parquet.Compression(&snappy.Codec{}),
		parquet.MaxRowsPerRowGroup(ParquetRowGroupRows))
	batch := make([]parquetProfile, 0, 1024)
	flush := func() error {
		_, err := pw.Write(batch)
		batch = batch[:0]
		return err
	}
	err := g.Each(func(_ int, p *Profile) error {
		batch = append(batch, parquetProfile{p.Email, p.FirstName, p.LastName, p.Country, p.StateProvinceRegion, p.City,
			p.PostalCode, p.Plan, p.LifetimeValue, p.SignupDate, p.MarketingOptIn})
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	return err
}
