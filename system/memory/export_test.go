package memory

import mimo "mimo/system"

// Shortlist exposes shortlist to the package's black-box tests.
func (s *Service) Shortlist(ns string, cands map[string]*mimo.Scores, want int, byIndex bool) ([]string, int) {
	return s.shortlist(ns, cands, want, byIndex)
}

// Score exposes score to the package's black-box tests.
func (s *Service) Score(m *mimo.Memory, sc mimo.Scores) mimo.Scores { return s.score(m, sc) }
