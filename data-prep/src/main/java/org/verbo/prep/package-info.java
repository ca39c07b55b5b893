/** verbo data-prep. */
package org.verbo.prep;
